{
  "variables": {
    "gawwn_dnnl%": "0",
    "gawwn_openblas%": "1"
  },
  "targets": [
    {
      "target_name": "gawwn_native",
      "sources": ["gawwn_native.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-fexceptions", "-std=c++17"],
      "conditions": [
        ["gawwn_dnnl==1", { "defines": ["GAWWN_DNNL"], "libraries": ["-ldnnl", "-lgomp"] }],
        ["gawwn_openblas==1", { "defines": ["GAWWN_OPENBLAS"], "libraries": ["-lopenblas"] }]
      ],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] }
    }
  ]
}
