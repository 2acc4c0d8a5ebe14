/// Whether a SenML decode keeps the values of quantities not detected on (`QuantityValue`) or only
/// counts them: a type parameter, not a run-time flag, so a profile without room for them
/// (`Profile.packQuantityCapacity` 0, the low profile) specialises the decoder without that path
/// and its unit registry, and the firmware links none of it.
public protocol SenMLQuantityKeeping {
    static var keepsQuantities: Bool { get }
}
