{
  "targets": [
    {
      "target_name": "dpkit_linux",
      "sources": [
        "native/addon.cc",
        "native/memory.cc",
        "native/netdev.cc",
        "native/xsk.cc",
        "native/bpf.cc",
        "native/tap.cc",
        "native/poll.cc",
        "native/packet.cc",
        "native/seqpacket.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    }
  ]
}
