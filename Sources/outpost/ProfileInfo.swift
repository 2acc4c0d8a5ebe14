import CHAL
import OutpostCore
import OutpostProfiles

/// `outpost --profile-info`: the profile's constants and static footprint, one `name value` a line.
enum ProfileInfo {
    static func write(_ out: inout Console) {
        typealias P = ActiveProfile
        pair(&out, "profile", P.name)
        number(&out, "sensor_slots", P.sensorSlotCount.wide)
        number(&out, "sensor_capacity", P.sensorCapacity.wide)
        number(&out, "batch_size", P.batchSize.wide)
        number(&out, "outbox_events", P.Outbox.capacityEvents.wide)
        out.reserve(64)
        out.writer.text("windows")
        for i in 0..<WindowSpan.count {
            let span = WindowSpan.at(i)!
            if P.windows.contains(span) {
                out.writer.text(" ")
                out.writer.integer(span.seconds.wide)
                out.writer.text("s")
            }
        }
        out.writer.byte(0x0A)
        if let bytes = P.modelBytes, let model = try? ForestModel(bytes: bytes) {
            number(&out, "forest_trees", model.treeCount.wide)
            number(&out, "forest_features", model.featureCount.wide)
            number(&out, "forest_sample_size", model.sampleSize.wide)
            number(&out, "model_bytes", bytes.count.wide)
        } else {
            pair(&out, "forest", "none")
        }
        // A model file (`--model`) at run time: the most it may hold, and the two slots it costs.
        number(&out, "model_file_trees", P.modelCapacity.trees.wide)
        number(&out, "model_file_nodes", P.modelCapacity.nodes.wide)
        number(&out, "model_file_features", P.modelCapacity.features.wide)
        number(&out, "model_slots_bytes", ModelSlots.arenaBytes(after: 0, capacity: P.modelCapacity).wide)
        number(&out, "debounce_count", P.rules.debounceCount.wide)
        number(&out, "arena_bytes", Pipeline<P>.arenaBytesRequired.wide)
        number(&out, "pipeline_struct_bytes", MemoryLayout<Pipeline<P>>.size.wide)
        number(&out, "footprint_bytes", Pipeline<P>.footprintBytes.wide)
        number(&out, "footprint_limit_bytes", P.footprintLimitBytes.wide)
        number(&out, "static_arena_bytes", P.arenaBytes.wide)
        number(&out, "static_arena_bytes_built", chal_arena_bytes())
        number(&out, "log_file_bytes", P.logGeometry.fileSizeBytes)
        number(&out, "log_segment_bytes", P.logGeometry.segmentSizeBytes.wide)
        // The HTTP server's buffers are carved only with --http (and not at all in the low build).
        if DaemonHTTP.available {
            number(&out, "http_connections", P.httpConnectionCount.wide)
            number(&out, "http_event_streams", P.httpEventStreamCount.wide)
            number(&out, "http_arena_bytes", HTTPServer.arenaBytes(
                after: 0, capacity: P.httpConnectionCount, inputBytes: P.httpRequestBytes, outputBytes: P.httpResponseBytes).wide)
        } else {
            pair(&out, "http", "none")
        }
    }

    static func pair(_ out: inout Console, _ name: StaticString, _ value: StaticString) {
        out.reserve(128)
        out.writer.text(name)
        out.writer.byte(0x20)
        out.writer.text(value)
        out.writer.byte(0x0A)
    }

    static func number(_ out: inout Console, _ name: StaticString, _ value: Int64) {
        out.reserve(128)
        out.writer.text(name)
        out.writer.byte(0x20)
        out.writer.integer(value)
        out.writer.byte(0x0A)
    }
}
