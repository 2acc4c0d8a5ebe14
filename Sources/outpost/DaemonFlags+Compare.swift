import CHAL
import OutpostCore

// Which options differ between two sets of options (a reload against the running ones).

extension DaemonFlags {
    /// True when option `key` has another value in `other`.
    /// - Complexity: O(listeners + serial lines + path bytes).
    func differs(_ key: ConfigKey, from other: DaemonFlags) -> Bool {
        switch key {
        case .nodeId: return !ConfigValue.bitwiseEqual(nodeId, other.nodeId)
        case .logLevel: return logLevel != other.logLevel
        case .dataDir: return !ConfigValue.equal(dataDir, other.dataDir)
        case .listen:
            if listenerCount != other.listenerCount { return true }
            for i in 0..<listenerCount where !ConfigValue.bitwiseEqual(listeners[i], other.listeners[i]) { return true }
            for i in 0..<listenerCount where !listenerAccess[i].same(as: other.listenerAccess[i]) { return true }
            return false
        case .serial:
            if serialCount != other.serialCount { return true }
            for i in 0..<serialCount where !serial[i].same(as: other.serial[i]) { return true }
            return false
        case .logSize: return logSizeBytes != other.logSizeBytes
        case .durability: return durability != other.durability
        case .whenFull: return whenFull != other.whenFull
        case .upstream:
            if hasUpstream != other.hasUpstream { return true }
            if !hasUpstream { return false }
            return upstreamIsMQTT != other.upstreamIsMQTT || upstreamWantsTLS != other.upstreamWantsTLS
                || !ConfigValue.bitwiseEqual(upstreamAddress, other.upstreamAddress)
                || !ConfigValue.bitwiseEqual(upstreamPath, other.upstreamPath)
        case .forward: return forward != other.forward
        case .uplinkRate: return uplinkRatePerS != other.uplinkRatePerS
        case .listenDTLS:
            return hasDTLS != other.hasDTLS || (hasDTLS && !ConfigValue.bitwiseEqual(dtlsListener, other.dtlsListener))
        case .pskFile: return !ConfigValue.equal(pskFile, other.pskFile)
        case .http:
            if hasHTTP != other.hasHTTP { return true }
            return hasHTTP && !ConfigValue.bitwiseEqual(httpAddress, other.httpAddress)
        case .httpTokenFile: return !ConfigValue.equal(httpTokenFile, other.httpTokenFile)
        case .sourceRequestsPerS: return fairness.requestsPerS != other.fairness.requestsPerS
        case .sourceReadingsPerS: return fairness.readingsPerS != other.fairness.readingsPerS
        case .observeLeaseS: return fairness.observeLeaseS != other.fairness.observeLeaseS
        case .amplificationFactor: return fairness.amplificationFactor != other.fairness.amplificationFactor
        case .uplinkFormat: return uplinkFormat != other.uplinkFormat
        case .mqttClientID: return !ConfigValue.equal(mqttClientID, other.mqttClientID)
        case .mqttUser: return !ConfigValue.equal(mqttUser, other.mqttUser)
        case .mqttPasswordFile: return !ConfigValue.equal(mqttPasswordFile, other.mqttPasswordFile)
        case .mqttKeepAlive: return mqttKeepAliveS != other.mqttKeepAliveS
        case .mqttPrefix: return !ConfigValue.equal(mqttPrefix, other.mqttPrefix)
        case .mqttCAFile: return !ConfigValue.equal(mqttCAFile, other.mqttCAFile)
        case .mqttCertFile: return !ConfigValue.equal(mqttCertFile, other.mqttCertFile)
        case .mqttKeyFile: return !ConfigValue.equal(mqttKeyFile, other.mqttKeyFile)
        case .mqttBatch: return mqttBatchRecords != other.mqttBatchRecords
        case .commandExpiry: return commandExpiryS != other.commandExpiryS
        case .model: return !ConfigValue.equal(modelFile, other.modelFile)
        case .sensorOfflineAfter: return sensorOfflineAfterS != other.sensorOfflineAfterS
        case .sensorEvictAfter: return sensorEvictAfterS != other.sensorEvictAfterS
        case .imageMaxBytes: return imageMaxBytes != other.imageMaxBytes
        case .retrainEvery: return retrainEveryS != other.retrainEveryS
        case .retrainWindow: return retrainWindow != other.retrainWindow
        case .retrainSeed: return retrainSeed != other.retrainSeed
        case .threshold:
            if thresholdCount != other.thresholdCount { return true }
            for i in 0..<thresholdCount where !DaemonFlags.same(thresholds[i], other.thresholds[i]) { return true }
            return false
        }
    }

    /// Field by field (the bytes of an absent bound are not compared).
    static func same(_ a: ThresholdOverride, _ b: ThresholdOverride) -> Bool {
        a.pattern == b.pattern && a.isPrefix == b.isPrefix && a.feature == b.feature
            && a.rule.warningAbove == b.rule.warningAbove && a.rule.warningBelow == b.rule.warningBelow
            && a.rule.alertAbove == b.rule.alertAbove && a.rule.alertBelow == b.rule.alertBelow
            && a.rule.criticalAbove == b.rule.criticalAbove && a.rule.criticalBelow == b.rule.criticalBelow
            && a.rule.rateMaxPerSecond == b.rule.rateMaxPerSecond && a.rule.hysteresis == b.rule.hysteresis
    }
}
