/// The API structs docker's CLI decodes inspect answers into (API 1.47), as far as
/// templates can tell them apart from plain JSON. Fields: `GoName[=JsonKey][?]:type` with
/// types s i b f any dur time {} [T] {T} *T Name; `?` marks `omitempty`.
/// Structs in `complete` list every field, so `json` marshals them as Go does.
enum DockerTypes {
    static let container = GoType.structure("ContainerJSON")
    static let image = GoType.structure("ImageInspect")
    static let network = GoType.structure("NetworkInspect")
    static let volume = GoType.structure("Volume")
    static let event = GoType.structure("Message")

    static let complete: Set<String> = [
        "NetworkInspect", "IPAM", "IPAMConfig", "ConfigReference", "EndpointResource", "PeerInfo", "ServiceInfo", "NetworkTask",
        "Volume", "UsageData", "Message", "Actor",
    ]

    private static let definitions: [(name: String, goName: String, fields: String)] = [
        ("ContainerJSON", "container.InspectResponse", """
            ID=Id:s Created:s Path:s Args:[s] State:*State Image:s ResolvConfPath:s HostnamePath:s HostsPath:s LogPath:s \
            Name:s RestartCount:i Driver:s Platform:s MountLabel:s ProcessLabel:s AppArmorProfile:s ExecIDs:[s] \
            HostConfig:*HostConfig GraphDriver:GraphDriver SizeRw:*i SizeRootFs:*i Mounts:[MountPoint] Config:*Config \
            NetworkSettings:*NetworkSettings ImageManifestDescriptor:*any
            """),
        ("State", "container.State", """
            Status:s Running:b Paused:b Restarting:b OOMKilled:b Dead:b Pid:i ExitCode:i Error:s StartedAt:s \
            FinishedAt:s Health:*Health
            """),
        ("Health", "container.Health", "Status:s FailingStreak:i Log:[*HealthLog]"),
        ("HealthLog", "container.HealthcheckResult", "Start:any End:any ExitCode:i Output:s"),
        ("GraphDriver", "storage.DriverData", "Data:{s} Name:s"),
        ("MountPoint", "container.MountPoint", "Type:s Name:s Source:s Destination:s Driver:s Mode:s RW:b Propagation:s"),
        ("Config", "container.Config", """
            Hostname:s Domainname:s User:s AttachStdin:b AttachStdout:b AttachStderr:b ExposedPorts:{{}} Tty:b \
            OpenStdin:b StdinOnce:b Env:[s] Cmd:[s] Healthcheck:*HealthConfig ArgsEscaped:b Image:s Volumes:{{}} \
            WorkingDir:s Entrypoint:[s] NetworkDisabled:b MacAddress:s OnBuild:[s] Labels:{s} StopSignal:s \
            StopTimeout:*i Shell:[s]
            """),
        ("HealthConfig", "container.HealthConfig", "Test:[s] Interval:dur Timeout:dur StartPeriod:dur StartInterval:dur Retries:i"),
        ("HostConfig", "container.HostConfig", """
            Binds:[s] ContainerIDFile:s LogConfig:LogConfig NetworkMode:s PortBindings:{[PortBinding]} \
            RestartPolicy:RestartPolicy AutoRemove:b VolumeDriver:s VolumesFrom:[s] ConsoleSize:[i] Annotations:{s} \
            CapAdd:[s] CapDrop:[s] CgroupnsMode:s DNS=Dns:[s] DNSOptions=DnsOptions:[s] DNSSearch=DnsSearch:[s] \
            ExtraHosts:[s] GroupAdd:[s] IpcMode:s Cgroup:s Links:[s] OomScoreAdj:i PidMode:s Privileged:b \
            PublishAllPorts:b ReadonlyRootfs:b SecurityOpt:[s] StorageOpt:{s} Tmpfs:{s} UTSMode:s UsernsMode:s \
            ShmSize:i Sysctls:{s} Runtime:s Isolation:s CPUShares=CpuShares:i Memory:i NanoCPUs=NanoCpus:i \
            CgroupParent:s BlkioWeight:i BlkioWeightDevice:[*any] BlkioDeviceReadBps:[*any] BlkioDeviceWriteBps:[*any] \
            BlkioDeviceReadIOps:[*any] BlkioDeviceWriteIOps:[*any] CPUPeriod=CpuPeriod:i CPUQuota=CpuQuota:i \
            CPURealtimePeriod=CpuRealtimePeriod:i CPURealtimeRuntime=CpuRealtimeRuntime:i CpusetCpus:s CpusetMems:s \
            Devices:[DeviceMapping] DeviceCgroupRules:[s] DeviceRequests:[any] KernelMemory:i KernelMemoryTCP:i \
            MemoryReservation:i MemorySwap:i MemorySwappiness:*i OomKillDisable:*b PidsLimit:*i Ulimits:[*Ulimit] \
            CPUCount=CpuCount:i CPUPercent=CpuPercent:i IOMaximumIOps:i IOMaximumBandwidth:i Mounts:[any] \
            MaskedPaths:[s] ReadonlyPaths:[s] Init:*b
            """),
        ("LogConfig", "container.LogConfig", "Type:s Config:{s}"),
        ("RestartPolicy", "container.RestartPolicy", "Name:s MaximumRetryCount:i"),
        ("PortBinding", "nat.PortBinding", "HostIP=HostIp:s HostPort:s"),
        ("DeviceMapping", "container.DeviceMapping", "PathOnHost:s PathInContainer:s CgroupPermissions:s"),
        ("Ulimit", "units.Ulimit", "Name:s Hard:i Soft:i"),
        ("NetworkSettings", "container.NetworkSettings", """
            Bridge:s SandboxID:s SandboxKey:s Ports:{[PortBinding]} HairpinMode:b LinkLocalIPv6Address:s \
            LinkLocalIPv6PrefixLen:i SecondaryIPAddresses:[any] SecondaryIPv6Addresses:[any] EndpointID:s Gateway:s \
            GlobalIPv6Address:s GlobalIPv6PrefixLen:i IPAddress:s IPPrefixLen:i IPv6Gateway:s MacAddress:s \
            Networks:{*EndpointSettings}
            """),
        ("EndpointSettings", "network.EndpointSettings", """
            IPAMConfig:*any Links:[s] Aliases:[s] DriverOpts:{s} GwPriority:i NetworkID:s EndpointID:s Gateway:s \
            IPAddress:s IPPrefixLen:i IPv6Gateway:s GlobalIPv6Address:s GlobalIPv6PrefixLen:i MacAddress:s DNSNames:[s]
            """),
        ("ImageInspect", "image.InspectResponse", """
            ID=Id:s RepoTags:[s] RepoDigests:[s] Parent:s Comment:s Created:s Container:s ContainerConfig:*Config \
            DockerVersion:s Author:s Config:*ImageConfig Architecture:s Variant:s Os:s OsVersion:s Size:i \
            VirtualSize:i GraphDriver:GraphDriver RootFS:RootFS Metadata:ImageMetadata Descriptor:*any Manifests:[any]
            """),
        ("ImageConfig", "v1.DockerOCIImageConfig", """
            User:s ExposedPorts:{{}} Env:[s] Entrypoint:[s] Cmd:[s] Volumes:{{}} WorkingDir:s Labels:{s} \
            StopSignal:s ArgsEscaped:b Healthcheck:*HealthConfig OnBuild:[s] Shell:[s]
            """),
        ("RootFS", "image.RootFS", "Type:s Layers:[s]"),
        ("NetworkInspect", "network.Inspect", """
            Name:s ID=Id:s Created:time Scope:s Driver:s EnableIPv4:b EnableIPv6:b IPAM:IPAM Internal:b Attachable:b \
            Ingress:b ConfigFrom:ConfigReference ConfigOnly:b Containers:{EndpointResource} Options:{s} Labels:{s} \
            Peers?:[PeerInfo] Services?:{ServiceInfo}
            """),
        ("IPAM", "network.IPAM", "Driver:s Options:{s} Config:[IPAMConfig]"),
        ("IPAMConfig", "network.IPAMConfig", "Subnet?:s IPRange?:s Gateway?:s AuxAddress=AuxiliaryAddresses?:{s}"),
        ("ConfigReference", "network.ConfigReference", "Network:s"),
        ("EndpointResource", "network.EndpointResource", "Name:s EndpointID:s MacAddress:s IPv4Address:s IPv6Address:s"),
        ("PeerInfo", "network.PeerInfo", "Name:s IP:s"),
        ("ServiceInfo", "network.ServiceInfo", "VIP:s Ports:[s] LocalLBIndex:i Tasks:[NetworkTask]"),
        ("NetworkTask", "network.Task", "Name:s EndpointID:s EndpointIP:s Info:{s}"),
        ("Volume", "volume.Volume", """
            ClusterVolume?:*any CreatedAt?:s Driver:s Labels:{s} Mountpoint:s Name:s Options:{s} Scope:s Status?:{any} \
            UsageData?:*UsageData
            """),
        ("UsageData", "volume.UsageData", "RefCount:i Size:i"),
        ("ImageMetadata", "image.Metadata", "LastTagTime:any"),
        ("Message", "events.Message", """
            Status=status?:s ID=id?:s From=from?:s Type:s Action:s Actor:Actor Scope=scope?:s Time=time?:i \
            TimeNano=timeNano?:i
            """),
        ("Actor", "events.Actor", "ID:s Attributes:{s}"),
    ]

    static let structs: [String: GoStruct] = {
        var out: [String: GoStruct] = [:]
        for d in definitions {
            var omitEmpty: Set<String> = []
            let fields = d.fields.split(separator: " ").map { spec -> (go: String, json: String, type: GoType) in
                let colon = spec.firstIndex(of: ":")!
                var names = spec[..<colon]
                let type = GoType.parse(spec[spec.index(after: colon)...])
                let optional = names.hasSuffix("?")
                if optional { names = names.dropLast() }
                var field = (go: String(names), json: String(names), type: type)
                if let eq = names.firstIndex(of: "=") {
                    field = (String(names[..<eq]), String(names[names.index(after: eq)...]), type)
                }
                if optional { omitEmpty.insert(field.go) }
                return field
            }
            out[d.name] = GoStruct(goName: d.goName, fields: fields, omitEmpty: omitEmpty, complete: complete.contains(d.name))
        }
        return out
    }()
}
