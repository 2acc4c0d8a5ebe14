import CHAL
import OutpostCore
import OutpostProfiles

/// The daemon's options, from its configuration file (`--config FILE`, docs/CONFIG.md) and its
/// flags, parsed without the heap: addresses into `chal_address`, serial specs into `SerialSpec`,
/// names into `SensorName`. Paths point into the process arguments or into the configuration
/// text read at start-up (both live as long as the process).
///
/// Every option has one setter, `set(_:_:from:)`, which the flags and the file's keys both go
/// through; the file is applied first and the flags after it, so a flag overrides its key (a
/// repeatable flag, `--listen` or `--serial`, replaces the file's whole list).
struct DaemonFlags {
    /// Most `--listen` flags.
    static let listenersMax = 8
    /// Most `--serial` flags.
    static let serialLinesMax = 4
    /// Baud rate when a `--serial` spec names none.
    static let defaultBaud: Int32 = 115_200
    /// Longest `--data-dir` (the log's path is built from it and printed in messages).
    static let dataDirBytesMax = 400

    /// Where a value came from: a flag replaces what the file set for a repeatable option.
    enum Source { case flag, file }

    var listeners = InlineArray<8, chal_address>(repeating: chal_address())
    var listenerCount = 0
    /// Per listener: `open`/`read-only` and its allow-list (the `,…` options of `--listen`).
    var listenerAccess = InlineArray<8, ListenerAccess>(repeating: .open)
    /// `--source-requests-per-s`, `--source-readings-per-s`, `--observe-lease-s`, `--amplification-factor`.
    var fairness = FairnessSettings()
    var serial = InlineArray<4, SerialSpec>(repeating: SerialSpec())
    var serialCount = 0
    /// Whether the current listeners / serial lines came from the file (a flag then replaces them).
    var listenersFromFile = false
    var serialFromFile = false
    /// `--data-dir` (empty: none given).
    var dataDir = UnsafeRawBufferPointer(start: nil, count: 0)
    var nodeId = SensorName("outpost")
    var help = false
    /// Argument index of `--config`'s value (0: none given).
    var configIndex = 0
    /// `--log-level`: the least severe level written on standard error.
    var logLevel = LogLevel.info
    /// `--log-size` in bytes (0: the profile's default geometry).
    var logSizeBytes: Int64 = 0
    var durability = Durability.sync
    var whenFull = LogFullPolicy.dropOldest
    /// `--upstream`: set when given (`upstreamAddress` and `upstreamPath` are then valid).
    var hasUpstream = false
    var upstreamAddress = chal_address()
    var upstreamPath = UplinkPath("")
    var forward = UplinkForwardMode.raw
    /// `--uplink-rate` in log records per second (0: unlimited).
    var uplinkRatePerS: UInt32 = 0
    /// `--listen-dtls`: set when given (`dtlsListener` is then valid).
    var hasDTLS = false
    var dtlsListener = chal_address()
    /// `--psk-file` (empty: none given); read at start-up and on every SIGHUP.
    var pskFile = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The port of `coaps` (RFC 7252 §12.8) when `--listen-dtls` names none.
    static let defaultDTLSPort: UInt16 = 5684
    /// `--http`: set when given (`httpAddress` is then valid).
    var hasHTTP = false
    var httpAddress = chal_address()
    /// `--http-token-file` (empty: none given; commands are then refused).
    var httpTokenFile = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The upstream's protocol: CoAP (`coap://`, the `Uplink`) or MQTT (`mqtt://`, the
    /// `MQTTClient`). `mqtts://` is parsed and refused by `finish` until TLS is built in.
    var upstreamIsMQTT = false
    var upstreamWantsTLS = false
    /// `--uplink-format` (MQTT only; the CoAP uplink always sends SenML-CBOR).
    var uplinkFormat = MQTTPayloadFormat.senmlJSON
    var uplinkFormatGiven = false
    /// `--mqtt-client-id`, `--mqtt-user`, `--mqtt-password-file`, `--mqtt-prefix` (empty: not given).
    var mqttClientID = UnsafeRawBufferPointer(start: nil, count: 0)
    var mqttUser = UnsafeRawBufferPointer(start: nil, count: 0)
    var mqttPasswordFile = UnsafeRawBufferPointer(start: nil, count: 0)
    var mqttPrefix = UnsafeRawBufferPointer(start: nil, count: 0)
    /// `--mqtt-keepalive` in seconds.
    var mqttKeepAliveS: UInt16 = 30
    /// `--mqtt-batch`: records per MQTT message at most (1: one message per record).
    var mqttBatchRecords: Int = 1
    /// `--mqtt-ca-file`, `--mqtt-cert-file`, `--mqtt-key-file` (empty: not given; the CA then is
    /// the system bundle). `mqtts://` only.
    var mqttCAFile = UnsafeRawBufferPointer(start: nil, count: 0)
    var mqttCertFile = UnsafeRawBufferPointer(start: nil, count: 0)
    var mqttKeyFile = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The upstream's host as written in `mqtt[s]://HOST:PORT` (no brackets): the TLS server
    /// name (SNI and the name the certificate must carry).
    var upstreamHost = UnsafeRawBufferPointer(start: nil, count: 0)
    /// `--command-expiry` in seconds: how long a command waits for its sensor.
    var commandExpiryS: Int64 = SensorCommandQueue.defaultExpiryMs / 1_000
    /// Largest `--command-expiry` (a week).
    static let commandExpiryMaxS: Int64 = 604_800
    /// `--model` (empty: none given; the profile's baked model runs); read again on every SIGHUP.
    var modelFile = UnsafeRawBufferPointer(start: nil, count: 0)
    /// `--sensor-offline-after` in seconds: silence before a sensor's offline alert.
    var sensorOfflineAfterS: Int64 = 300
    /// `--sensor-evict-after` in seconds (0: never): silence after which an offline sensor may
    /// give its slot to a new sensor when the table is full.
    var sensorEvictAfterS: Int64 = 86_400
    /// `--image-max-bytes`: the largest upload to `/images/{camera}` (-1: the profile's
    /// `imageBytesMax`; 0: images refused).
    var imageMaxBytes: Int64 = -1
    /// `--retrain-every` in seconds (0: no learning on the board): 300 where the profile learns
    /// (`retrainSampleCount` > 0), else 0 and refused when set.
    var retrainEveryS: Int64 = ActiveProfile.retrainSampleCount > 0 ? 300 : 0
    /// `--retrain-window`: rows of recent normal readings a learned forest is built from.
    var retrainWindow: Int64 = min(1_000, ActiveProfile.retrainSampleCount).wide
    /// `--retrain-seed`: the first build's seed (build n uses seed + n − 1).
    var retrainSeed: Int64 = 1
    /// Largest `--retrain-every`: a day.
    static let retrainEveryMaxS: Int64 = 86_400
    /// `--threshold` rules (the first `thresholdCount`), in the order given. The low profile takes
    /// none (its copies of the options would carry 1.5 KiB more, and their code 4 KiB).
    #if OUTPOST_PROFILE_LOW
    var thresholds = InlineArray<1, ThresholdOverride>(
        repeating: ThresholdOverride(pattern: SensorName(), isPrefix: true, feature: .temperature, rule: FeatureRule()))
    #else
    var thresholds = InlineArray<16, ThresholdOverride>(
        repeating: ThresholdOverride(pattern: SensorName(), isPrefix: true, feature: .temperature, rule: FeatureRule()))
    #endif
    var thresholdCount = 0
    /// Whether the current rules came from the file (a `--threshold` flag then replaces them).
    var thresholdsFromFile = false
    /// Most `--threshold` rules: the profile's, within the 16 the options hold.
    static var thresholdsMax: Int { min(16, ActiveProfile.thresholdOverrideCount) }
    /// Largest `--sensor-offline-after` and `--sensor-evict-after`: 366 days.
    static let sensorSilenceMaxS: Int64 = 31_622_400
    /// Smallest and largest `--log-size` (three 4 KiB segments plus the reserved area; 1 GiB).
    static let logSizeMinBytes: Int64 = 16_384
    static let logSizeMaxBytes: Int64 = 1_073_741_824

    /// True when `--data-dir` (or `[daemon] data_dir`) was given.
    var hasDataDir: Bool { dataDir.count > 0 }

    /// A refused command line: the message names the flag and what is wrong with it.
    struct Failure: Error {
        let reason: StaticString
        /// Argument index of the offending flag or value (-1: none, the message says it all).
        let index: Int
    }

    /// Why the options could not be put together: a flag, or a line of the file.
    enum LoadFailure: Error {
        case flag(Failure)
        case file(ConfigError)
    }

    /// Why `set` refused a value: what the option wants; `tooOften` when the value was fine but the
    /// option was given more often than it may be (a flag's message then points at the flag).
    struct Refusal {
        let reason: StaticString
        var tooOften = false
    }

    /// Sets option `key` to `value`; nil when taken, else why not.
    /// - Complexity: O(value bytes).
    mutating func set(_ key: ConfigKey, _ value: UnsafeRawBufferPointer, from source: Source) -> Refusal? {
        switch key {
        case .listen:
            if source == .flag && listenersFromFile {
                listenerCount = 0
                listenersFromFile = false
            }
            if listenerCount == DaemonFlags.listenersMax { return Refusal(reason: "given too often (at most 8 addresses)", tooOften: true) }
            var hostEnd = 0
            while hostEnd < value.count && value[hostEnd] != 0x2C { hostEnd += 1 }
            let host = UnsafeRawBufferPointer(rebasing: value[0..<hostEnd])
            var address = chal_address()
            let status = host.count == 0 ? CHAL_EINVAL : chal_address_parse(host.baseAddress!.assumingMemoryBound(to: UInt8.self), host.count.wide, &address)
            if status != 0 { return Refusal(reason: "wants HOST:PORT (IPv4 a.b.c.d:PORT, IPv6 [ADDR]:PORT, or localhost:PORT)") }
            guard let rules = DaemonFlags.parseAccess(UnsafeRawBufferPointer(rebasing: value[hostEnd..<value.count])) else {
                return Refusal(reason: "wants HOST:PORT[,open|,read-only][,allow=CIDR]... (CIDR a.b.c.d/N or IPv6/N, at most 8)")
            }
            listenerAccess[listenerCount] = rules
            listeners[listenerCount] = address
            listenerCount += 1
            listenersFromFile = source == .file
        case .serial:
            if source == .flag && serialFromFile {
                serialCount = 0
                serialFromFile = false
            }
            if serialCount == DaemonFlags.serialLinesMax { return Refusal(reason: "given too often (at most 4 lines)", tooOften: true) }
            guard let spec = SerialSpec(value) else {
                return Refusal(reason: "wants DEVICE[@BAUD][:slip|:line] with BAUD 9600, 19200, 38400, 57600, 115200, 230400, 460800 or 921600")
            }
            serial[serialCount] = spec
            serialCount += 1
            serialFromFile = source == .file
        case .dataDir:
            if value.count == 0 || value.count > DaemonFlags.dataDirBytesMax { return Refusal(reason: "wants a directory (a path of 1 to 400 bytes)") }
            for i in 0..<value.count where value[i] == 0 { return Refusal(reason: "wants a directory (a path without NUL bytes)") }
            dataDir = value
        case .logSize:
            guard let size = ConfigValue.size(value), size >= DaemonFlags.logSizeMinBytes, size <= DaemonFlags.logSizeMaxBytes else {
                return Refusal(reason: "wants BYTES, BYTESK or BYTESM between 16K and 1024M")
            }
            logSizeBytes = size
        case .durability:
            guard let mode = Durability(name: value) else { return Refusal(reason: "wants sync, batch or none") }
            durability = mode
        case .whenFull:
            if ConfigValue.matches(value, "drop-oldest") {
                whenFull = .dropOldest
            } else if ConfigValue.matches(value, "reject-new") {
                whenFull = .rejectNew
            } else {
                return Refusal(reason: "wants drop-oldest or reject-new")
            }
        case .upstream:
            guard DaemonFlags.parseUpstream(value, into: &self) else {
                return Refusal(reason: "wants coap://HOST:PORT/PATH, mqtt://HOST:PORT or mqtts://HOST:PORT (HOST a.b.c.d, [IPv6] or localhost; PATH up to 64 bytes)")
            }
        #if OUTPOST_PROFILE_LOW
        case .uplinkFormat, .mqttClientID, .mqttUser, .mqttPasswordFile, .mqttKeepAlive, .mqttBatch, .mqttPrefix,
            .mqttCAFile, .mqttCertFile, .mqttKeyFile:
            // Options of the MQTT uplink, which the low build leaves out (as `--upstream mqtt://`).
            return Refusal(reason: "is not in this build (the low profile has no MQTT uplink: --upstream coap://)")
        #else
        case .uplinkFormat:
            guard let format = MQTTPayloadFormat(name: value) else { return Refusal(reason: "wants senml-json, senml-cbor or influx") }
            uplinkFormat = format
            uplinkFormatGiven = true
        case .mqttClientID:
            // MQTT 3.1.1 §3.1.3.1: brokers must take 1-23 bytes of [0-9a-zA-Z]; most take more.
            if value.count < 1 || value.count > MQTTSettings.textMaxBytes || !DaemonFlags.isPrintable(value) {
                return Refusal(reason: "wants 1 to 256 printable ASCII bytes without space")
            }
            mqttClientID = value
        case .mqttUser:
            if value.count < 1 || value.count > MQTTSettings.textMaxBytes || !DaemonFlags.isPrintable(value) {
                return Refusal(reason: "wants 1 to 256 printable ASCII bytes without space")
            }
            mqttUser = value
        case .mqttPasswordFile:
            if value.count == 0 || value.count > DaemonFlags.dataDirBytesMax { return Refusal(reason: "wants a file (a path of 1 to 400 bytes)") }
            for i in 0..<value.count where value[i] == 0 { return Refusal(reason: "wants a file (a path without NUL bytes)") }
            mqttPasswordFile = value
        case .mqttKeepAlive:
            guard let seconds = ConfigValue.count(value), seconds >= 5, seconds <= 3_600 else {
                return Refusal(reason: "wants seconds, 5 to 3600")
            }
            mqttKeepAliveS = UInt16(truncatingIfNeeded: seconds)
        case .mqttBatch:
            guard let records = ConfigValue.count(value), records >= 1, records <= MQTTSettings.batchRecordsMax.wide else {
                return Refusal(reason: "wants records per message, 1 to 64")
            }
            mqttBatchRecords = Int(truncatingIfNeeded: records)
        case .mqttPrefix:
            // A topic level must not hold the wildcards, and the prefix starts every topic.
            if value.count < 1 || value.count > 64 || !DaemonFlags.isPrintable(value) || value[0] == 0x2F || value[value.count - 1] == 0x2F
                || DaemonFlags.holds(value, 0x2B) || DaemonFlags.holds(value, 0x23)
            {
                return Refusal(reason: "wants 1 to 64 printable bytes without space, + or #, not starting or ending with /")
            }
            mqttPrefix = value
        case .mqttCAFile, .mqttCertFile, .mqttKeyFile:
            if value.count == 0 || value.count > DaemonFlags.dataDirBytesMax { return Refusal(reason: "wants a file (a path of 1 to 400 bytes)") }
            for i in 0..<value.count where value[i] == 0 { return Refusal(reason: "wants a file (a path without NUL bytes)") }
            if key == .mqttCAFile { mqttCAFile = value } else if key == .mqttCertFile { mqttCertFile = value } else { mqttKeyFile = value }
        #endif
        case .forward:
            guard let mode = UplinkForwardMode(name: value) else { return Refusal(reason: "wants raw, summaries or alerts") }
            forward = mode
        case .uplinkRate:
            guard let rate = ConfigValue.count(value), rate <= 1_000_000 else {
                return Refusal(reason: "wants records per second, 0 (unlimited) to 1000000")
            }
            uplinkRatePerS = UInt32(truncatingIfNeeded: rate)
        case .listenDTLS:
            guard let address = DaemonFlags.parseDTLSListener(value) else {
                return Refusal(reason: "wants HOST[:PORT] (IPv4 a.b.c.d, [IPv6] or localhost; PORT default 5684)")
            }
            hasDTLS = true
            dtlsListener = address
        case .pskFile:
            if value.count == 0 || value.count > DaemonFlags.dataDirBytesMax { return Refusal(reason: "wants a key file (a path of 1 to 400 bytes)") }
            for i in 0..<value.count where value[i] == 0 { return Refusal(reason: "wants a key file (a path without NUL bytes)") }
            pskFile = value
        case .sourceRequestsPerS, .sourceReadingsPerS, .observeLeaseS, .amplificationFactor:
            guard let number = ConfigValue.count(value), number <= 1_000_000, number > 0 || key == .amplificationFactor else {
                return Refusal(reason: key == .amplificationFactor
                    ? "wants a factor, 0 (no limit) to 1000000" : "wants a number, 1 to 1000000")
            }
            let n = Int32(truncatingIfNeeded: number)
            switch key {
            case .sourceRequestsPerS: fairness.requestsPerS = n
            case .sourceReadingsPerS: fairness.readingsPerS = n
            case .observeLeaseS: fairness.observeLeaseS = n
            default: fairness.amplificationFactor = n
            }
        case .logLevel:
            guard let level = LogLevel(name: value) else { return Refusal(reason: "wants error, warning, notice, info or debug") }
            logLevel = level
        case .nodeId:
            // The node id starts every SenML name the uplink sends, and RFC 8428 §4.5.1 wants a
            // name to start with a letter or digit.
            guard let name = SensorName(value.bindMemory(to: UInt8.self).span), SenMLEncoder.isAlphanumeric(name[0]) else {
                return Refusal(reason: "wants 1 to 32 printable ASCII bytes starting with a letter or digit, without space, quote, comma or backslash")
            }
            nodeId = name
        case .http:
            if !DaemonHTTP.available { return Refusal(reason: "is not in this build (the low profile leaves HTTP out to fit its 256 KiB)") }
            guard let address = DaemonFlags.parseHTTP(value) else {
                return Refusal(reason: "wants [HOST:]PORT (a bare port binds 127.0.0.1; HOST a.b.c.d, [IPv6] or localhost; PORT 0 to 65535)")
            }
            hasHTTP = true
            httpAddress = address
        case .sensorOfflineAfter:
            guard let seconds = ConfigValue.count(value), seconds >= 1, seconds <= DaemonFlags.sensorSilenceMaxS else {
                return Refusal(reason: "wants seconds, 1 to 31622400 (366 days)")
            }
            sensorOfflineAfterS = seconds
        case .imageMaxBytes:
            if ActiveProfile.imageTransferCount == 0 { return Refusal(reason: "is not in this build (the low profile leaves images out)") }
            #if !OUTPOST_PROFILE_LOW
            guard let bytes = ConfigValue.count(value), bytes <= ActiveProfile.imageBytesMax.wide else {
                return Refusal(reason: "wants bytes, 0 (no images) to the profile's limit")
            }
            imageMaxBytes = bytes
            #endif
        case .sensorEvictAfter:
            guard let seconds = ConfigValue.count(value), seconds <= DaemonFlags.sensorSilenceMaxS else {
                return Refusal(reason: "wants seconds, 0 (never evict) to 31622400 (366 days)")
            }
            sensorEvictAfterS = seconds
        case .threshold:
            #if OUTPOST_PROFILE_LOW
            return Refusal(reason: "is not in this build (the low profile keeps the reference rules to fit its 256 KiB)")
            #else
            if source == .flag && thresholdsFromFile {
                thresholdCount = 0
                thresholdsFromFile = false
            }
            if thresholdCount == DaemonFlags.thresholdsMax {
                return Refusal(reason: "given too often (the profile holds at most 16 rules; the test profile 2)", tooOften: true)
            }
            do {
                thresholds[thresholdCount] = try ThresholdOverride.parse(value)
            } catch {
                return Refusal(reason: error.reason)
            }
            thresholdCount += 1
            thresholdsFromFile = source == .file
            #endif
        case .httpTokenFile:
            if value.count == 0 || value.count > DaemonFlags.dataDirBytesMax { return Refusal(reason: "wants a file (a path of 1 to 400 bytes)") }
            for i in 0..<value.count where value[i] == 0 { return Refusal(reason: "wants a file (a path without NUL bytes)") }
            httpTokenFile = value
        case .commandExpiry:
            guard let seconds = ConfigValue.count(value), seconds >= 1, seconds <= DaemonFlags.commandExpiryMaxS else {
                return Refusal(reason: "wants seconds, 1 to 604800")
            }
            commandExpiryS = seconds
        case .retrainEvery, .retrainWindow, .retrainSeed:
            #if OUTPOST_PROFILE_LOW
            return Refusal(reason: "is not in this build (the low profile runs no forest: thresholds only)")
            #else
            return setRetrain(key, value)
            #endif
        case .model:
            if !ActiveProfile.modelCapacity.allowsModel { return Refusal(reason: "is not in this build (the low profile runs no forest: thresholds only)") }
            if value.count == 0 || value.count > DaemonFlags.dataDirBytesMax { return Refusal(reason: "wants a model file (a path of 1 to 400 bytes)") }
            for i in 0..<value.count where value[i] == 0 { return Refusal(reason: "wants a model file (a path without NUL bytes)") }
            modelFile = value
        }
        return nil
    }

    /// Applies arguments `first..<Arguments.count` on top of what is set (`--config` and `--help`
    /// are recorded, every other flag goes through `set`).
    /// - Complexity: O(total argument bytes).
    mutating func applyFlags(from first: Int) throws(Failure) {
        precondition(first >= 1, "argument 0 is the program name")
        var index = first
        // Bounded by the argument count: every pass consumes one or two arguments.
        while index < Arguments.count {
            if Arguments.matches(index, "--help") || Arguments.matches(index, "-h") {
                help = true
                index += 1
                continue
            }
            let name = Arguments.bytes(index)!
            let key = ConfigKey(flag: name)
            if key == nil && !Arguments.matches(index, "--config") {
                throw Failure(reason: "unknown flag", index: index)
            }
            guard let value = Arguments.bytes(index + 1) else {
                throw Failure(reason: "needs a value", index: index)
            }
            if let key {
                if let refusal = set(key, value, from: .flag) {
                    // A count limit concerns the flag; a malformed value its value.
                    throw Failure(reason: refusal.reason, index: refusal.tooOften ? index : index + 1)
                }
            } else {
                if configIndex != 0 && configIndex != index + 1 { throw Failure(reason: "given twice (one configuration file)", index: index) }
                if value.count == 0 { throw Failure(reason: "wants a file", index: index + 1) }
                configIndex = index + 1
            }
            index += 2
        }
    }

    /// Applies every `key = value` line of a configuration file (its first error is thrown).
    /// - Complexity: O(text bytes).
    mutating func applyFile(_ text: UnsafeRawBufferPointer) throws(ConfigError) {
        var parser = try ConfigParser(text)
        // Bounded by the parser's line limit.
        while let line = try parser.next() {
            if let refusal = set(line.key, line.value, from: .file) { throw ConfigError(value: line, reason: refusal.reason) }
        }
    }

    /// The options of the command line (arguments from `first`) over those of the configuration
    /// text `file` (nil: no `--config`), checked together and completed with defaults.
    static func load(from first: Int, file: UnsafeRawBufferPointer?) throws(LoadFailure) -> DaemonFlags {
        var flags = DaemonFlags()
        if let file {
            do { try flags.applyFile(file) } catch { throw .file(error) }
        }
        do {
            try flags.applyFlags(from: first)
            try flags.finish()
        } catch { throw .flag(error) }
        return flags
    }

    /// Checks that go across options, and the default listener.
    mutating func finish() throws(Failure) {
        if !hasDataDir && (logSizeBytes > 0 || hasUpstream) {
            // The uplink forwards the log, and the size is the log's: both need its directory.
            // The option may come from the file: the message names both spellings, no argument.
            throw Failure(
                reason: logSizeBytes > 0
                    ? "--log-size ([log] size) needs --data-dir ([daemon] data_dir): the log lives there"
                    : "--upstream ([uplink] upstream) needs --data-dir ([daemon] data_dir): the log lives there",
                index: -1)
        }
        if hasDTLS && pskFile.count == 0 {
            throw Failure(reason: "--listen-dtls ([coap] listen_dtls) needs --psk-file ([coap] psk_file): DTLS clients prove themselves with its keys", index: -1)
        }
        if !hasDTLS && pskFile.count > 0 {
            throw Failure(reason: "--psk-file ([coap] psk_file) needs --listen-dtls ([coap] listen_dtls): only DTLS clients use its keys", index: -1)
        }
        #if OUTPOST_PROFILE_LOW
        if upstreamIsMQTT {
            throw Failure(reason: "--upstream mqtt:// is not built into the low profile (its firmware size budget); use coap:// or a medium build", index: -1)
        }
        #endif
        // The low build refuses every MQTT option as it is set (`set`): nothing here to check.
        #if !OUTPOST_PROFILE_LOW
        if upstreamWantsTLS && chal_tls_available() == 0 {
            throw Failure(
                reason: "--upstream mqtts://: this build has no TLS (mbedTLS is not linked into this profile); use mqtt:// on a trusted network",
                index: -1)
        }
        if !upstreamIsMQTT && (uplinkFormatGiven || mqttClientID.count > 0 || mqttUser.count > 0 || mqttPasswordFile.count > 0 || mqttPrefix.count > 0
            || mqttBatchRecords != 1) {
            throw Failure(reason: "--uplink-format and --mqtt-* ([uplink] format, [mqtt]) need --upstream mqtt://HOST:PORT", index: -1)
        }
        if !upstreamWantsTLS && (mqttCAFile.count > 0 || mqttCertFile.count > 0 || mqttKeyFile.count > 0) {
            throw Failure(reason: "--mqtt-ca-file, --mqtt-cert-file and --mqtt-key-file ([mqtt] ca_file, cert_file, key_file) need --upstream mqtts://HOST:PORT", index: -1)
        }
        if (mqttCertFile.count > 0) != (mqttKeyFile.count > 0) {
            throw Failure(reason: "--mqtt-cert-file and --mqtt-key-file ([mqtt] cert_file, key_file) go together: the client's certificate and its private key", index: -1)
        }
        if mqttPasswordFile.count > 0 && mqttUser.count == 0 {
            throw Failure(reason: "--mqtt-password-file ([mqtt] password_file) needs --mqtt-user ([mqtt] user): MQTT sends no password without a user name", index: -1)
        }
        #endif
        if listenerCount == 0 {
            // The default: CoAP's port on the loopback interface.
            var address = chal_address()
            address.family = UInt8(truncatingIfNeeded: CHAL_FAMILY_IPV4)
            address.port = 5683
            address.bytes.0 = 127
            address.bytes.3 = 1
            listeners[0] = address
            listenerCount = 1
        }
    }

    /// Parses `HOST:PORT` or `HOST` alone (then port 5684) for `--listen-dtls`.
    static func parseDTLSListener(_ value: UnsafeRawBufferPointer) -> chal_address? {
        if value.count == 0 || value.count > 120 { return nil }
        var address = chal_address()
        let base = value.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if chal_address_parse(base, value.count.wide, &address) == 0 { return address }
        // No port given: the same text with the default port appended.
        let suffix: StaticString = ":5684"
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { text -> chal_address? in
            for i in 0..<value.count { text[i] = value[i] }
            for i in 0..<suffix.utf8CodeUnitCount { text[value.count + i] = suffix.utf8Start[i] }
            let length = value.count + suffix.utf8CodeUnitCount
            if chal_address_parse(text.baseAddress!, length.wide, &address) != 0 { return nil }
            return address
        }
    }

    /// Parses `--http`'s `HOST:PORT`, or a bare `PORT` on 127.0.0.1 (the loopback unless told
    /// otherwise: the HTTP API has no encryption, and only the command endpoint a token).
    static func parseHTTP(_ value: UnsafeRawBufferPointer) -> chal_address? {
        if value.count == 0 { return nil }
        var bare = value.count <= 5
        for b in value where b < 0x30 || b > 0x39 { bare = false }
        var address = chal_address()
        if bare {
            var port = 0
            for b in value { port = port * 10 + Int(b &- 0x30) }
            if port > 65535 { return nil }
            address.family = UInt8(truncatingIfNeeded: CHAL_FAMILY_IPV4)
            address.port = UInt16(truncatingIfNeeded: port)
            address.bytes.0 = 127
            address.bytes.3 = 1
            return address
        }
        if chal_address_parse(value.baseAddress!.assumingMemoryBound(to: UInt8.self), value.count.wide, &address) != 0 { return nil }
        return address
    }

    /// True when `value` holds `byte`. A plain loop: generic Sequence algorithms (`contains`,
    /// `elementsEqual`) on raw buffers were among what made the Embedded -no-allocations build
    /// refuse an array type, so the MQTT code keeps to index loops.
    static func holds(_ value: UnsafeRawBufferPointer, _ byte: UInt8) -> Bool {
        for i in 0..<value.count where value[i] == byte { return true }
        return false
    }

    /// True when every byte is printable ASCII other than space.
    static func isPrintable(_ value: UnsafeRawBufferPointer) -> Bool {
        for byte in value where byte <= 0x20 || byte >= 0x7F { return false }
        return true
    }

    /// Parses `mqtt://HOST:PORT` or `mqtts://HOST:PORT` (no path) into the upstream fields.
    static func parseMQTTUpstream(_ value: UnsafeRawBufferPointer, into flags: inout DaemonFlags) -> Bool {
        var schemeBytes = 0
        if ConfigValue.hasPrefix(value, "mqtt://") { schemeBytes = 7 } else if ConfigValue.hasPrefix(value, "mqtts://") { schemeBytes = 8 } else { return false }
        let host = UnsafeRawBufferPointer(rebasing: value[schemeBytes..<value.count])
        if host.count == 0 || DaemonFlags.holds(host, 0x2F) { return false }
        var address = chal_address()
        if chal_address_parse(host.baseAddress!.assumingMemoryBound(to: UInt8.self), host.count.wide, &address) != 0 { return false }
        if address.port == 0 { return false }
        flags.hasUpstream = true
        flags.upstreamIsMQTT = true
        flags.upstreamWantsTLS = schemeBytes == 8
        flags.upstreamAddress = address
        // The host text without the port (and without an IPv6 address's brackets).
        var colon = host.count - 1
        for _ in 0..<host.count where colon > 0 && host[colon] != 0x3A { colon -= 1 }
        var start = 0
        var end = colon
        if host[0] == 0x5B && end >= 2 && host[end - 1] == 0x5D {
            start = 1
            end -= 1
        }
        flags.upstreamHost = UnsafeRawBufferPointer(rebasing: host[start..<end])
        return true
    }

    /// Parses `coap://HOST:PORT/PATH` (PATH may be empty) into the upstream fields of `flags`.
    static func parseUpstream(_ value: UnsafeRawBufferPointer, into flags: inout DaemonFlags) -> Bool {
        if ConfigValue.hasPrefix(value, "mqtt") { return parseMQTTUpstream(value, into: &flags) }
        flags.upstreamIsMQTT = false
        flags.upstreamWantsTLS = false
        let scheme: StaticString = "coap://"
        let schemeBytes = scheme.utf8CodeUnitCount
        if value.count <= schemeBytes { return false }
        for i in 0..<schemeBytes where value[i] != scheme.utf8Start[i] { return false }
        var slash = schemeBytes
        // Bounded by the value length; a `/` inside an IPv6 bracket cannot occur in valid text.
        while slash < value.count && value[slash] != 0x2F { slash += 1 }
        var address = chal_address()
        let host = UnsafeRawBufferPointer(rebasing: value[schemeBytes..<slash])
        if host.count == 0 { return false }
        if chal_address_parse(host.baseAddress!.assumingMemoryBound(to: UInt8.self), host.count.wide, &address) != 0 { return false }
        if address.port == 0 { return false }
        let pathStart = min(slash + 1, value.count)
        guard let path = UplinkPath(UnsafeRawBufferPointer(rebasing: value[pathStart..<value.count])) else { return false }
        flags.hasUpstream = true
        flags.upstreamAddress = address
        flags.upstreamPath = path
        return true
    }
}
