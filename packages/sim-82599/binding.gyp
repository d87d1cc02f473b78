{
  "targets": [
    {
      "target_name": "dpkit_sim_82599",
      "sources": ["native/addon.cc", "native/device.cc", "native/rings.cc", "native/classify.cc", "native/fdir.cc", "native/io.cc", "native/channel.cc", "native/generator.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-pthread"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-pthread"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    }
  ]
}
