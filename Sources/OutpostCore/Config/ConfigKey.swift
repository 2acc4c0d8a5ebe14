/// Every key of the daemon's configuration file (docs/CONFIG.md), with its section, its flag, and
/// whether a reload (SIGHUP) applies it to the running daemon. Every daemon flag has exactly one
/// key; the daemon sets both through one setter per key, so a value means the same in either place.
///
/// A new key (thresholds, say) is a new case here, a row in docs/CONFIG.md, and a branch in the
/// daemon's setter; `live` decides whether the reload applies it or reports it as needing a restart.
public enum ConfigKey: UInt8, BitwiseCopyable, Sendable, Equatable {
    case nodeId = 0
    case logLevel
    case dataDir
    case listen
    case serial
    case logSize
    case durability
    case whenFull
    case upstream
    case forward
    case uplinkRate
    case listenDTLS
    case pskFile
    case http
    case httpTokenFile
    case sourceRequestsPerS
    case sourceReadingsPerS
    case observeLeaseS
    case amplificationFactor
    case uplinkFormat
    case mqttClientID
    case mqttUser
    case mqttPasswordFile
    case mqttKeepAlive
    case mqttPrefix
    case mqttCAFile
    case mqttCertFile
    case mqttKeyFile
    case commandExpiry
    case model
    case sensorOfflineAfter
    case sensorEvictAfter
    case threshold
    case mqttBatch
    case imageMaxBytes
    case retrainEvery
    case retrainWindow
    case retrainSeed

    /// Number of keys (raw values are 0..<count).
    public static let count = 38

    /// The sections of the file, in the order docs/CONFIG.md lists them.
    public static let sectionCount = 9

    /// Name of section `index` (0..<sectionCount), as written between brackets.
    public static func sectionName(_ index: Int) -> StaticString {
        switch index {
        case 0: return "daemon"
        case 1: return "coap"
        case 2: return "serial"
        case 3: return "log"
        case 4: return "uplink"
        case 5: return "http"
        case 6: return "mqtt"
        case 7: return "sensors"
        default: return "thresholds"
        }
    }

    /// The keys of section `index`, for the "unknown key" message.
    public static func sectionKeys(_ index: Int) -> StaticString {
        switch index {
        case 0: return "node_id, log_level, data_dir, command_expiry, model, retrain_every, retrain_window, retrain_seed"
        case 1: return "listen, listen_dtls, psk_file, source_requests_per_s, source_readings_per_s, observe_lease_s, amplification_factor, image_max_bytes"
        case 2: return "port"
        case 3: return "size, durability, when_full"
        case 4: return "upstream, forward, rate, format"
        case 5: return "listen, token_file"
        case 6: return "client_id, user, password_file, keepalive, prefix, ca_file, cert_file, key_file, batch"
        case 7: return "offline_after, evict_after"
        default: return "rule"
        }
    }

    /// The section `index` named by `text`, or nil.
    public static func section(named text: UnsafeRawBufferPointer) -> Int? {
        for i in 0..<sectionCount where ConfigValue.matches(text, sectionName(i)) { return i }
        return nil
    }

    /// The key called `text` in section `section`, or nil.
    public init?(section: Int, name text: UnsafeRawBufferPointer) {
        for raw in 0..<ConfigKey.count {
            let key = ConfigKey(rawValue: UInt8(truncatingIfNeeded: raw))!
            if key.section == section && ConfigValue.matches(text, key.name) {
                self = key
                return
            }
        }
        return nil
    }

    /// The key set by the flag `text` (`--node-id`, ...), or nil.
    public init?(flag text: UnsafeRawBufferPointer) {
        for raw in 0..<ConfigKey.count {
            let key = ConfigKey(rawValue: UInt8(truncatingIfNeeded: raw))!
            if ConfigValue.matches(text, key.flag) {
                self = key
                return
            }
        }
        return nil
    }

    /// Index of the key's section (see `sectionName`).
    public var section: Int {
        switch self {
        case .nodeId, .logLevel, .dataDir, .commandExpiry, .model, .retrainEvery, .retrainWindow, .retrainSeed: return 0
        case .listen, .listenDTLS, .pskFile, .sourceRequestsPerS, .sourceReadingsPerS, .observeLeaseS, .amplificationFactor: return 1
        case .imageMaxBytes: return 1
        case .serial: return 2
        case .logSize, .durability, .whenFull: return 3
        case .upstream, .forward, .uplinkRate, .uplinkFormat: return 4
        case .http, .httpTokenFile: return 5
        case .mqttClientID, .mqttUser, .mqttPasswordFile, .mqttKeepAlive, .mqttPrefix: return 6
        case .mqttCAFile, .mqttCertFile, .mqttKeyFile, .mqttBatch: return 6
        case .sensorOfflineAfter, .sensorEvictAfter: return 7
        case .threshold: return 8
        }
    }

    /// The key's name inside its section.
    public var name: StaticString {
        switch self {
        case .nodeId: return "node_id"
        case .logLevel: return "log_level"
        case .dataDir: return "data_dir"
        case .listen: return "listen"
        case .serial: return "port"
        case .logSize: return "size"
        case .durability: return "durability"
        case .whenFull: return "when_full"
        case .upstream: return "upstream"
        case .forward: return "forward"
        case .uplinkRate: return "rate"
        case .listenDTLS: return "listen_dtls"
        case .pskFile: return "psk_file"
        case .http: return "listen"
        case .httpTokenFile: return "token_file"
        case .sourceRequestsPerS: return "source_requests_per_s"
        case .sourceReadingsPerS: return "source_readings_per_s"
        case .observeLeaseS: return "observe_lease_s"
        case .amplificationFactor: return "amplification_factor"
        case .uplinkFormat: return "format"
        case .mqttClientID: return "client_id"
        case .mqttUser: return "user"
        case .mqttPasswordFile: return "password_file"
        case .mqttKeepAlive: return "keepalive"
        case .mqttPrefix: return "prefix"
        case .mqttBatch: return "batch"
        case .mqttCAFile: return "ca_file"
        case .mqttCertFile: return "cert_file"
        case .mqttKeyFile: return "key_file"
        case .commandExpiry: return "command_expiry"
        case .model: return "model"
        case .sensorOfflineAfter: return "offline_after"
        case .sensorEvictAfter: return "evict_after"
        case .threshold: return "rule"
        case .imageMaxBytes: return "image_max_bytes"
        case .retrainEvery: return "retrain_every"
        case .retrainWindow: return "retrain_window"
        case .retrainSeed: return "retrain_seed"
        }
    }

    /// The daemon flag that sets the same option.
    public var flag: StaticString {
        switch self {
        case .nodeId: return "--node-id"
        case .logLevel: return "--log-level"
        case .dataDir: return "--data-dir"
        case .listen: return "--listen"
        case .serial: return "--serial"
        case .logSize: return "--log-size"
        case .durability: return "--durability"
        case .whenFull: return "--when-full"
        case .upstream: return "--upstream"
        case .forward: return "--forward"
        case .uplinkRate: return "--uplink-rate"
        case .listenDTLS: return "--listen-dtls"
        case .pskFile: return "--psk-file"
        case .http: return "--http"
        case .httpTokenFile: return "--http-token-file"
        case .sourceRequestsPerS: return "--source-requests-per-s"
        case .sourceReadingsPerS: return "--source-readings-per-s"
        case .observeLeaseS: return "--observe-lease-s"
        case .amplificationFactor: return "--amplification-factor"
        case .uplinkFormat: return "--uplink-format"
        case .mqttClientID: return "--mqtt-client-id"
        case .mqttUser: return "--mqtt-user"
        case .mqttPasswordFile: return "--mqtt-password-file"
        case .mqttKeepAlive: return "--mqtt-keepalive"
        case .mqttPrefix: return "--mqtt-prefix"
        case .mqttBatch: return "--mqtt-batch"
        case .mqttCAFile: return "--mqtt-ca-file"
        case .mqttCertFile: return "--mqtt-cert-file"
        case .mqttKeyFile: return "--mqtt-key-file"
        case .commandExpiry: return "--command-expiry"
        case .model: return "--model"
        case .sensorOfflineAfter: return "--sensor-offline-after"
        case .sensorEvictAfter: return "--sensor-evict-after"
        case .threshold: return "--threshold"
        case .imageMaxBytes: return "--image-max-bytes"
        case .retrainEvery: return "--retrain-every"
        case .retrainWindow: return "--retrain-window"
        case .retrainSeed: return "--retrain-seed"
        }
    }

    /// True when the key may be given more than once (each occurrence adds one more).
    public var repeatable: Bool { self == .listen || self == .serial || self == .threshold }

    /// True when a reload applies a changed value to the running daemon; a change of any other key
    /// is reported as needing a restart (sockets, files and carved buffers depend on it).
    public var live: Bool {
        self == .logLevel || self == .forward || self == .uplinkRate || self == .model || self == .sensorOfflineAfter
            || self == .sensorEvictAfter || self == .threshold
    }
}
