/// Decode keeping values of quantities not detected on in the caller's buffer.
public enum SenMLKeepsQuantities: SenMLQuantityKeeping {
    @inline(__always) public static var keepsQuantities: Bool { true }
}
