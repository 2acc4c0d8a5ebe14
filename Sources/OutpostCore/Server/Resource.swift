/// The resources of the server (docs/RESOURCES.md), found from a request's Uri-Path options.
public enum Resource: Equatable, Sendable {
    case readings
    case wellKnownCore
    case health
    case sensors
    /// `/sensors/{id}` for a known sensor: its dense index in the sensor table.
    case sensor(Int)
    case alerts
    case metrics
    /// `/commands/{id}` for a known sensor: its dense index.
    case commands(Int)
    /// `/images/{camera}`: a binary upload from a camera (any valid sensor name).
    case image(SensorName)
    /// No such resource (or `/sensors/{id}` of an unknown sensor): 4.04.
    case notFound

    /// Most Uri-Path segments looked at (more is certainly not one of ours).
    static let maxSegments = 4

    /// The resource `message` addresses; sensor ids are looked up in `sensors`.
    /// - Complexity: O(n) in the size of the options.
    public static func route(_ message: CoAPMessage, sensors: SensorTable) -> Resource {
        var segments = message.options(.uriPath)
        guard let first = segments.next() else { return .notFound }
        let second = segments.next()
        if segments.next() != nil { return .notFound }
        if let second {
            if first.valueEquals(".well-known") && second.valueEquals("core") { return .wellKnownCore }
            if first.valueEquals("sensors") {
                guard let name = SensorName(second.value.uint8.span), let index = sensors.find(name) else { return .notFound }
                return .sensor(index)
            }
            if first.valueEquals("images") {
                guard let camera = SensorName(second.value.uint8.span) else { return .notFound }
                return .image(camera)
            }
            if first.valueEquals("commands") {
                guard let name = SensorName(second.value.uint8.span), let index = sensors.find(name) else { return .notFound }
                return .commands(index)
            }
            return .notFound
        }
        if first.valueEquals("readings") { return .readings }
        if first.valueEquals("health") { return .health }
        if first.valueEquals("sensors") { return .sensors }
        if first.valueEquals("alerts") { return .alerts }
        if first.valueEquals("metrics") { return .metrics }
        return .notFound
    }
}
