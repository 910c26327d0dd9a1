import SkiffEngine

/// Container and exec routes (`/containers/...`, `/exec/...`).
///
/// Register each with `router.get/post/delete(pattern) { request in ... }`;
/// see Router and APIResponse for streaming and hijacked responses.
func registerContainerRoutes(_ router: inout Router, engine: Engine) {}
