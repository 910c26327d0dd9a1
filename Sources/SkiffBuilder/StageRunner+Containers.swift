import SkiffArchive
import SkiffEngine
import SkiffImage
import SkiffMonitor
import SkiffOCI

extension StageRunner {
    /// Runs `body` with a container of the engine made from `image` (created, not started:
    /// its root file system mounted at `engine.rootfsPath(id)`), then removes the container
    /// and its anonymous volumes, whether `body` succeeded or not.
    func withContainer<T: Sendable>(
        image: ImageRecord, command: [String], configure: (inout ContainerConfiguration) -> Void = { _ in },
        _ body: (String) async throws(BuildError) -> T
    ) async throws(BuildError) -> T {
        var config = ContainerConfiguration(image: image.id.description)
        config.entrypoint = [""]
        config.cmd = command
        config.networkMode = "none"
        config.labels[Builder.stepLabel] = ""
        // A RUN step is no service: no health checks (the image's HEALTHCHECK is for its containers).
        config.healthcheck = Healthcheck(test: ["NONE"], interval: 0, timeout: 0, retries: 0, startPeriod: 0)
        configure(&config)
        let container: Container
        do {
            container = try await engine.create(name: nil, config: config)
        } catch {
            throw BuildError(error.message)
        }
        let result: Result<T, BuildError>
        do throws(BuildError) {
            result = .success(try await body(container.id))
        } catch {
            result = .failure(error)
        }
        do {
            try await engine.remove(container.id, force: true, volumes: true)
        } catch {
            if case .success = result { throw BuildError("remove container \(container.shortID): \(error.message)") }
        }
        return try result.get()
    }

    /// The container's changes as a layer on the stage's image, `state.config` as the new
    /// image's settings: the step's image, recorded under `key`.
    func commit(_ id: String, state: inout StageState, createdBy: String, key: String) async throws(BuildError) {
        var options = CommitOptions()
        options.config = state.config
        options.exactConfig = true
        options.createdBy = createdBy
        options.author = state.author ?? ""
        options.pause = false
        options.compression = .none
        do {
            let image = try await engine.commit(id, options: options)
            try await images.recordStep(key, image: image.id)
            state.image = image
        } catch let error as EngineError {
            throw BuildError("commit: \(error.message)")
        } catch {
            throw BuildError("commit: \(error)")
        }
    }
}
