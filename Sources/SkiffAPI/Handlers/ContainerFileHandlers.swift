import SkiffEngine

/// A container's files: `docker cp` (`/containers/{id}/archive`), `diff`, `export`, `commit`,
/// and `rename`.
func registerContainerFileRoutes(_ router: inout Router, engine: Engine) {
    router.head("/containers/{id}/archive") { request in
        let entry = try await engine.statPath(request.param("id"), path: try archivePath(request))
        return APIResponse(status: 200, headers: [("X-Docker-Container-Path-Stat", try ContainerFileTranslation.pathStatHeader(entry))])
    }

    router.get("/containers/{id}/archive") { request in
        let id = request.param("id")
        let path = try archivePath(request)
        let entry = try await engine.statPath(id, path: path)
        let headers = [
            ("Content-Type", "application/x-tar"),
            ("X-Docker-Container-Path-Stat", try ContainerFileTranslation.pathStatHeader(entry)),
        ]
        return APIResponse(status: 200, headers: headers, body: .stream { writer in
            try await engine.archivePath(id, path: path, to: writer.sink())
        })
    }

    router.put("/containers/{id}/archive") { request in
        let path = try archivePath(request)
        try await engine.extractArchive(
            request.param("id"), path: path, archive: request.body.byteSource(),
            copyUIDGID: request.query.bool("copyUIDGID") ?? false,
            noOverwriteDirNonDir: request.query.bool("noOverwriteDirNonDir") ?? false)
        return APIResponse(status: 200)
    }

    router.get("/containers/{id}/changes") { request in
        try .json(ContainerFileTranslation.changes(try await engine.changes(request.param("id"))))
    }

    router.get("/containers/{id}/export") { request in
        let id = try await engine.container(request.param("id")).id
        try await engine.checkUsable(id, for: "export")
        return .stream(contentType: "application/x-tar") { writer in
            try await engine.export(id, to: writer.sink())
        }
    }

    router.post("/commit") { request in
        var options = CommitOptions()
        options.tag = try ContainerFileTranslation.commitReference(
            repo: request.query.string("repo") ?? "", tag: request.query.string("tag") ?? "")
        options.author = request.query.string("author") ?? ""
        options.comment = request.query.string("comment") ?? ""
        options.changes = request.query.strings("changes")
        options.pause = request.query.bool("pause") ?? true
        let body = try await request.body.collect(max: 16 << 20)
        let text = String(decoding: body, as: UTF8.self).trimmingSpaces()
        if !text.isEmpty && text != "null" {
            options.config = ContainerFileTranslation.imageConfig(try RequestBody.decodeJSON(ContainerConfig.self, from: body))
        }
        let image = try await engine.commit(request.query.string("container") ?? "", options: options)
        return try .json(IDResponse(id: image.id.description), status: 201)
    }

    router.post("/containers/{id}/rename") { request in
        try await engine.rename(request.param("id"), to: request.query.string("name") ?? "")
        return .noContent
    }
}

/// The `path` parameter of `/containers/{id}/archive` (dockerd's wording when it is missing).
private func archivePath(_ request: APIRequest) throws(APIError) -> String {
    guard let path = request.query.string("path"), !path.isEmpty else {
        throw .badRequest("bad parameter: pathcannot be empty")
    }
    return path
}
