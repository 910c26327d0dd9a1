/// `--mount type=bind,source=/a,target=/b,readonly`: docker's MountOpt, as the JSON of a
/// HostConfig.Mounts entry.
enum MountOption {
    static func parse(_ value: String, workingDirectory: String = "/") throws(ParseError) -> JSON {
        var type = "volume"
        var mount = JSONObject()
        var bind = JSONObject(), volume = JSONObject(), tmpfs = JSONObject(), image = JSONObject()
        var driver = JSONObject(), driverOptions = JSONObject(), labels = JSONObject()
        func bool(_ key: String, _ val: String) throws(ParseError) -> Bool {
            guard let b = GoParse.bool(val) else { throw ParseError("invalid value for \(key): \(val)") }
            return b
        }
        for field in csvFields(value) {
            let (rawKey, val) = cut(field, "=")
            let key = rawKey.lowercased()
            guard let val else {
                switch key {
                case "readonly", "ro": mount["ReadOnly"] = true
                case "volume-nocopy": volume["NoCopy"] = true
                case "bind-nonrecursive": bind["NonRecursive"] = true
                default: throw ParseError("invalid field '\(field)' must be a key=value pair")
                }
                continue
            }
            switch key {
            case "type": type = val.lowercased()
            case "source", "src":
                mount["Source"] = .string(val.hasPrefix(".") ? ContainerOptions.normalize(workingDirectory + "/" + val) : val)
            case "target", "dst", "destination": mount["Target"] = .string(val)
            case "readonly", "ro": mount["ReadOnly"] = .bool(try bool(key, val))
            case "consistency": mount["Consistency"] = .string(val.lowercased())
            case "bind-propagation": bind["Propagation"] = .string(val.lowercased())
            case "bind-nonrecursive": bind["NonRecursive"] = .bool(try bool(key, val))
            case "bind-recursive":
                switch val {
                case "enabled": bind["Propagation"] = bind["Propagation"]
                case "disabled": bind["NonRecursive"] = true
                case "writable": bind["ReadOnlyNonRecursive"] = true
                case "readonly": bind["ReadOnlyForceRecursive"] = true
                default:
                    throw ParseError("invalid value for \(key): \(val) (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")")
                }
            case "volume-subpath": volume["Subpath"] = .string(val)
            case "volume-nocopy":
                guard let b = GoParse.bool(val) else { throw ParseError("invalid value for volume-nocopy: \(val)") }
                volume["NoCopy"] = .bool(b)
            case "volume-label":
                let (k, v) = cut(val, "=")
                if !k.isEmpty { labels[k] = .string(v ?? "") }
                volume["Labels"] = .object(labels)
            case "volume-driver":
                driver["Name"] = .string(val)
                volume["DriverConfig"] = .object(driver)
            case "volume-opt":
                let (k, v) = cut(val, "=")
                if !k.isEmpty { driverOptions[k] = .string(v ?? "") }
                driver["Options"] = .object(driverOptions)
                volume["DriverConfig"] = .object(driver)
            case "image-subpath": image["Subpath"] = .string(val)
            case "tmpfs-size":
                guard let size = try? Units.ramInBytes(val) else { throw ParseError("invalid value for \(key): \(val)") }
                tmpfs["SizeBytes"] = .number(size)
            case "tmpfs-mode":
                guard let mode = UInt32(val, radix: 8) else { throw ParseError("invalid value for \(key): \(val)") }
                tmpfs["Mode"] = .number(Int(mode))
            default:
                throw ParseError("unexpected key '\(key)' in '\(field)'")
            }
        }
        if type.isEmpty { throw ParseError("type is required") }
        if mount["Target"] == nil { throw ParseError("target is required") }
        for (options, kind, prefix) in [(volume, "volume", "volume"), (image, "image", "image"), (bind, "bind", "bind"), (tmpfs, "tmpfs", "tmpfs")]
        where !options.isEmpty && type != kind {
            throw ParseError("cannot mix '\(prefix)-*' options with mount type '\(type)'")
        }
        var out: JSONObject = ["Type": .string(type)]
        out.members += mount.members
        if !bind.isEmpty { out["BindOptions"] = .object(bind) }
        if !volume.isEmpty { out["VolumeOptions"] = .object(volume) }
        if !image.isEmpty { out["ImageOptions"] = .object(image) }
        if !tmpfs.isEmpty { out["TmpfsOptions"] = .object(tmpfs) }
        return .object(out)
    }

    /// One CSV record (Go's encoding/csv): commas separate fields, double quotes group them.
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.append("\"")
                        chars = chars.dropFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(c)
            }
        }
        fields.append(field)
        return fields
    }
}
