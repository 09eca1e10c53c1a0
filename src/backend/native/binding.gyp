{
  "targets": [
    {
      "target_name": "gawwn_native",
      "sources": ["gawwn_native.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-fexceptions", "-std=c++17"],
      "libraries": ["-lopenblas"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] }
    }
  ]
}
