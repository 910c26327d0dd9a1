/// Docker's object ids: 64 random lowercase hex digits (containers, execs, networks,
/// endpoints, anonymous volumes).
public enum RandomID {
    public static func make() -> String {
        let digits = Array("0123456789abcdef")
        var generator = SystemRandomNumberGenerator()
        return String((0..<64).map { _ in digits[Int(generator.next() % 16)] })
    }
}
