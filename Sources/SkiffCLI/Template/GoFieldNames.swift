/// Go field names whose JSON keys differ in docker's API types. docker runs inspect
/// templates on typed structs first, so `{{.ID}}` and `{{.Id}}` both work there; a template
/// on the raw JSON finds the JSON key through this table.
enum GoFieldNames {
    static let jsonKeys: [String: String] = [
        "ID": "Id",
        "APIVersion": "ApiVersion",
        "MinAPIVersion": "MinAPIVersion",
        "CPUShares": "CpuShares",
        "CPUPeriod": "CpuPeriod",
        "CPUQuota": "CpuQuota",
        "CPURealtimePeriod": "CpuRealtimePeriod",
        "CPURealtimeRuntime": "CpuRealtimeRuntime",
        "CPUCount": "CpuCount",
        "CPUPercent": "CpuPercent",
        "NanoCPUs": "NanoCpus",
        "DNS": "Dns",
        "DNSOptions": "DnsOptions",
        "DNSSearch": "DnsSearch",
        "HTTPProxy": "HttpProxy",
        "HTTPSProxy": "HttpsProxy",
        "UserName": "Username",
        "GPUs": "Gpus",
        "ExecIDs": "ExecIDs",
        "HostnamePath": "HostnamePath",
    ]
}
