// The dpkit-ethtool program (see ethtool.ts).
import { ethtool } from './ethtool.js';

const [out, err, status] = ethtool(process.argv.slice(2));
process.stdout.write(out);
process.stderr.write(err);
process.exitCode = status;
