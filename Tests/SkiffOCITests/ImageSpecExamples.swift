// JSON documents for the image-spec tests: the examples of image-spec v1.1.1
// (manifest.md, image-index.md, config.md, image-layout.md), Docker's image
// manifest v2 schema 2 examples (distribution docs/spec/manifest-v2-2.md), a
// Docker config with its extensions, and `docker save` metadata.

enum Examples {
    /// manifest.md#example-image-manifest
    static let ociManifest = #"""
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7",
            "size": 7023
          },
          "layers": [
            {
              "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
              "digest": "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0",
              "size": 32654
            },
            {
              "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
              "digest": "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b",
              "size": 16724
            },
            {
              "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
              "digest": "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736",
              "size": 73109
            }
          ],
          "subject": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
            "size": 7682
          },
          "annotations": {
            "com.example.key1": "value1",
            "com.example.key2": "value2"
          }
        }
        """#

    /// manifest.md#guidance-for-an-empty-descriptor
    static let emptyDescriptor = #"""
        {
          "mediaType": "application/vnd.oci.empty.v1+json",
          "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
          "size": 2,
          "data": "e30="
        }
        """#

    /// manifest.md#guidelines-for-artifact-usage: minimal artifact.
    static let minimalArtifact = #"""
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "artifactType": "application/vnd.example+type",
          "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            "size": 2
          },
          "layers": [
            {
              "mediaType": "application/vnd.oci.empty.v1+json",
              "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
              "size": 2
            }
          ],
          "annotations": {
            "oci.opencontainers.image.created": "2023-01-02T03:04:05Z",
            "com.example.data": "payload"
          }
        }
        """#

    /// manifest.md#guidelines-for-artifact-usage: artifact with config.
    static let artifactWithConfig = #"""
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "artifactType": "application/vnd.example+type",
          "config": {
            "mediaType": "application/vnd.example.config.v1+json",
            "digest": "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
            "size": 123
          },
          "layers": [
            {
              "mediaType": "application/vnd.example.data.v1.tar+gzip",
              "digest": "sha256:e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317",
              "size": 1234
            }
          ]
        }
        """#

    /// image-index.md#example-image-index, with a nested index entry and a
    /// platform using every field.
    static let ociIndex = #"""
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.index.v1+json",
          "manifests": [
            {
              "mediaType": "application/vnd.oci.image.manifest.v1+json",
              "size": 7143,
              "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
              "platform": {
                "architecture": "ppc64le",
                "os": "linux"
              }
            },
            {
              "mediaType": "application/vnd.oci.image.manifest.v1+json",
              "size": 7682,
              "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
              "platform": {
                "architecture": "arm64",
                "os": "windows",
                "os.version": "10.0.14393.1066",
                "os.features": ["win32k"],
                "variant": "v8"
              },
              "annotations": {
                "org.opencontainers.image.ref.name": "1.0"
              }
            },
            {
              "mediaType": "application/vnd.oci.image.index.v1+json",
              "size": 7682,
              "digest": "sha256:601570aaff1b68a61eb9c85b8beca1644e698003e0cdb5bce960f193d265a8b7"
            }
          ],
          "annotations": {
            "com.example.key1": "value1",
            "com.example.key2": "value2"
          }
        }
        """#

    /// config.md#example
    static let ociConfig = #"""
        {
            "created": "2015-10-31T22:22:56.015925234Z",
            "author": "Alyssa P. Hacker <alyspdev@example.com>",
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "User": "alice",
                "ExposedPorts": {
                    "8080/tcp": {}
                },
                "Env": [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "FOO=oci_is_a",
                    "BAR=well_written_spec"
                ],
                "Entrypoint": [
                    "/bin/my-app-binary"
                ],
                "Cmd": [
                    "--foreground",
                    "--config",
                    "/etc/my-app.d/default.cfg"
                ],
                "Volumes": {
                    "/var/job-result-data": {},
                    "/var/log/my-app-logs": {}
                },
                "WorkingDir": "/home/alice",
                "Labels": {
                    "com.example.project.git.url": "https://example.com/project.git",
                    "com.example.project.git.commit": "45a939b2999782a3f005621a8d0f29aa387e1d6b"
                }
            },
            "rootfs": {
              "diff_ids": [
                "sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1",
                "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
              ],
              "type": "layers"
            },
            "history": [
              {
                "created": "2015-10-31T22:22:54.690851953Z",
                "created_by": "/bin/sh -c #(nop) ADD file:a3bc1e842b69636f9df5256c49c5374fb4eef1e281fe3f282c65fb853ee171c5 in /"
              },
              {
                "created": "2015-10-31T22:22:55.613815829Z",
                "created_by": "/bin/sh -c #(nop) CMD [\"sh\"]",
                "empty_layer": true
              },
              {
                "created": "2015-10-31T22:22:56.329850019Z",
                "created_by": "/bin/sh -c apk add curl"
              }
            ]
        }
        """#

    /// A Docker (BuildKit) image config: Docker's extensions, nulls, os.version and variant.
    static let dockerConfig = #"""
        {
          "architecture": "arm64",
          "variant": "v8",
          "os": "linux",
          "os.version": "6.1",
          "created": "2024-09-26T21:31:42.123456789Z",
          "author": "ops@example.com",
          "config": {
            "User": "1000:1000",
            "ExposedPorts": {"80/tcp": {}, "443/tcp": {}, "53/udp": {}},
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Entrypoint": null,
            "Cmd": ["nginx", "-g", "daemon off;"],
            "Volumes": {"/data": {}},
            "WorkingDir": "/srv",
            "Labels": {"maintainer": "ops@example.com"},
            "StopSignal": "SIGQUIT",
            "ArgsEscaped": true,
            "Healthcheck": {
              "Test": ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"],
              "Interval": 30000000000,
              "Timeout": 5000000000,
              "StartPeriod": 10000000000,
              "StartInterval": 2000000000,
              "Retries": 3
            },
            "OnBuild": ["RUN echo built from me"],
            "Shell": ["/bin/ash", "-eo", "pipefail", "-c"]
          },
          "rootfs": {
            "type": "layers",
            "diff_ids": ["sha256:63ca1fbb43ae5034640e5e6cb3e083e05c290072c5366fcaa9d62435a4cced85"]
          },
          "history": [
            {
              "created": "2024-09-26T21:31:42Z",
              "created_by": "ADD alpine-minirootfs-3.20.3-aarch64.tar.gz / # buildkit",
              "comment": "buildkit.dockerfile.v0"
            },
            {
              "created": "2024-09-26T21:31:42Z",
              "created_by": "CMD [\"nginx\" \"-g\" \"daemon off;\"]",
              "author": "ops@example.com",
              "comment": "buildkit.dockerfile.v0",
              "empty_layer": true
            }
          ]
        }
        """#

    /// Docker image manifest v2, schema 2 (manifest-v2-2.md#example-image-manifest),
    /// with a foreign layer.
    static let dockerManifest = #"""
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654,
                    "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"
                },
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 16724,
                    "digest": "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b"
                },
                {
                    "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                    "size": 73109,
                    "digest": "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736",
                    "urls": ["https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736"]
                }
            ]
        }
        """#

    /// Docker manifest list (manifest-v2-2.md#example-manifest-list).
    static let dockerManifestList = #"""
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
          "manifests": [
            {
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
              "size": 7143,
              "platform": {
                "architecture": "ppc64le",
                "os": "linux"
              }
            },
            {
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
              "size": 7682,
              "platform": {
                "architecture": "amd64",
                "os": "linux",
                "features": [
                  "sse4"
                ]
              }
            }
          ]
        }
        """#

    /// image-layout.md#oci-layout-file
    static let layout = #"{"imageLayoutVersion": "1.0.0"}"#

    /// A `docker save` manifest.json (Docker 25+: paths into blobs/), two images,
    /// one untagged with null RepoTags, one with a foreign layer.
    static let dockerSaveManifest = #"""
        [
          {
            "Config": "blobs/sha256/b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7",
            "RepoTags": ["busybox:latest", "localhost:5000/tools/busybox:1.36"],
            "Layers": ["blobs/sha256/c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1"]
          },
          {
            "Config": "9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0.json",
            "RepoTags": null,
            "Layers": [
              "3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b/layer.tar",
              "ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736/layer.tar"
            ],
            "Parent": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
            "LayerSources": {
              "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef": {
                "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "size": 73109,
                "digest": "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736",
                "urls": ["https://example.com/layer.tar.gz"]
              }
            }
          }
        ]
        """#

    /// The legacy `repositories` file.
    static let dockerRepositories = #"""
        {"busybox":{"latest":"c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1"},"localhost:5000/tools/busybox":{"1.36":"c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1"}}
        """#
}
