// OCI runtime-spec 1.2, config-linux.md.
// Schema: shared/reference/oci-runtime-schema/config-linux.json, defs-linux.json

extension RuntimeSpec {
    /// config-linux.md
    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]?
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?
        public var devices: [Device]?
        public var cgroupsPath: String?
        public var resources: Resources?
        public var rootfsPropagation: String?
        public var seccomp: Seccomp?
        public var sysctl: [String: String]?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var mountLabel: String?
        public var personality: Personality?
        public var timeOffsets: [String: TimeOffset]?

        public init(
            namespaces: [Namespace]? = nil, devices: [Device]? = nil, cgroupsPath: String? = nil,
            resources: Resources? = nil, rootfsPropagation: String? = nil, seccomp: Seccomp? = nil,
            sysctl: [String: String]? = nil, maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil
        ) {
            self.namespaces = namespaces
            self.devices = devices
            self.cgroupsPath = cgroupsPath
            self.resources = resources
            self.rootfsPropagation = rootfsPropagation
            self.seccomp = seccomp
            self.sysctl = sysctl
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
        }
    }

    /// config-linux.md#namespaces
    public struct Namespace: Codable, Sendable, Equatable {
        public var type: NamespaceType
        /// Join this namespace instead of creating one.
        public var path: String?
        public init(type: NamespaceType, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    public enum NamespaceType: String, Codable, Sendable, CaseIterable {
        case pid, network, mount, ipc, uts, user, cgroup, time
    }

    /// config-linux.md#devices
    public struct Device: Codable, Sendable, Equatable {
        /// `c`, `b`, `u` or `p`.
        public var type: String
        public var path: String
        public var major: Int64?
        public var minor: Int64?
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(
            type: String, path: String, major: Int64? = nil, minor: Int64? = nil,
            fileMode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil
        ) {
            self.type = type
            self.path = path
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }

    public struct Personality: Codable, Sendable, Equatable {
        public var domain: String
        public var flags: [String]?
    }

    public struct TimeOffset: Codable, Sendable, Equatable {
        public var secs: Int64?
        public var nanosecs: UInt32?
    }

    /// config-linux.md#control-groups
    public struct Resources: Codable, Sendable, Equatable {
        public var devices: [DeviceRule]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var blockIO: BlockIO?
        public var hugepageLimits: [HugepageLimit]?
        public var unified: [String: String]?

        public init(
            devices: [DeviceRule]? = nil, memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil,
            blockIO: BlockIO? = nil, unified: [String: String]? = nil
        ) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
            self.blockIO = blockIO
            self.unified = unified
        }
    }

    /// config-linux.md#allowed-device-list
    public struct DeviceRule: Codable, Sendable, Equatable {
        public var allow: Bool
        /// `a`, `c` or `b`; absent means all.
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        /// Some of `r`, `w`, `m`.
        public var access: String?
        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        /// Memory plus swap, as in cgroup v1's memsw (-1 for unlimited).
        public var swap: Int64?
        public var kernel: Int64?
        public var kernelTCP: Int64?
        public var swappiness: UInt64?
        public var disableOOMKiller: Bool?
        public var useHierarchy: Bool?
        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
            self.swappiness = swappiness
            self.disableOOMKiller = disableOOMKiller
        }
    }

    public struct CPU: Codable, Sendable, Equatable {
        public var shares: UInt64?
        public var quota: Int64?
        public var burst: UInt64?
        public var period: UInt64?
        public var realtimeRuntime: Int64?
        public var realtimePeriod: UInt64?
        public var cpus: String?
        public var mems: String?
        public var idle: Int64?
        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, cpus: String? = nil, mems: String? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.cpus = cpus
            self.mems = mems
        }
    }

    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64
        public init(limit: Int64) { self.limit = limit }
    }

    public struct BlockIO: Codable, Sendable, Equatable {
        public var weight: UInt16?
        public var leafWeight: UInt16?
        public var weightDevice: [WeightDevice]?
        public var throttleReadBpsDevice: [ThrottleDevice]?
        public var throttleWriteBpsDevice: [ThrottleDevice]?
        public var throttleReadIOPSDevice: [ThrottleDevice]?
        public var throttleWriteIOPSDevice: [ThrottleDevice]?
        public init(weight: UInt16? = nil) { self.weight = weight }
    }

    public struct WeightDevice: Codable, Sendable, Equatable {
        public var major: Int64
        public var minor: Int64
        public var weight: UInt16?
        public var leafWeight: UInt16?
    }

    public struct ThrottleDevice: Codable, Sendable, Equatable {
        public var major: Int64
        public var minor: Int64
        public var rate: UInt64
    }

    public struct HugepageLimit: Codable, Sendable, Equatable {
        public var pageSize: String
        public var limit: UInt64
    }

    /// config-linux.md#seccomp
    public struct Seccomp: Codable, Sendable, Equatable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String]?
        public var flags: [String]?
        public var listenerPath: String?
        public var listenerMetadata: String?
        public var syscalls: [Syscall]?
        public init(
            defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
            flags: [String]? = nil, syscalls: [Syscall]? = nil
        ) {
            self.defaultAction = defaultAction
            self.defaultErrnoRet = defaultErrnoRet
            self.architectures = architectures
            self.flags = flags
            self.syscalls = syscalls
        }
    }

    public struct Syscall: Codable, Sendable, Equatable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [SyscallArg]?
        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [SyscallArg]? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
        }
    }

    public struct SyscallArg: Codable, Sendable, Equatable {
        public var index: UInt
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String
        public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }
}
