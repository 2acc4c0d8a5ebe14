/// Decode counting values of quantities not detected on, without keeping them.
public enum SenMLCountsQuantities: SenMLQuantityKeeping {
    @inline(__always) public static var keepsQuantities: Bool { false }
}
