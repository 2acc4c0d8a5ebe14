import CHAL
import OutpostCore
import OutpostProfiles

/// Version of the daemon (the formats carry their own versions, see docs/).
let outpostVersion: StaticString = "0.1.0"

/// The `outpost` daemon's entry point. Everything it needs is carved from CHAL's static arena at
/// start-up; after that nothing is allocated.
@main
struct Outpost {
    static func main() {
        var arena = Arena(zeroedBase: UnsafeMutableRawPointer(chal_arena()), sizeBytes: chal_arena_bytes().narrow)
        var out = Console(fd: 1, buffer: UnsafeMutableRawBufferPointer(arena.carve(16 * 1024, of: UInt8(0))))
        var err = Console(fd: 2, buffer: UnsafeMutableRawBufferPointer(arena.carve(4 * 1024, of: UInt8(0))))
        err.detectJournal()
        let status = run(arena: &arena, out: &out, err: &err)
        out.flush()
        err.flush()
        chal_exit(status == 0 && out.error != 0 ? 1 : status)
    }

    static func run(arena: inout Arena, out: inout Console, err: inout Console) -> Int32 {
        if Arguments.matches(1, "--help") || Arguments.matches(1, "-h") {
            Help.write(&out)
            return 0
        }
        if Arguments.matches(1, "--version") {
            VersionInfo.write(&out)
            return 0
        }
        if Arguments.matches(1, "--profile-info") {
            ProfileInfo.write(&out)
            return 0
        }
        if Arguments.matches(1, "--self-test") {
            return SelfTest.run(arena: &arena, out: &out)
        }
        #if !OUTPOST_PROFILE_LOW
        if Arguments.matches(1, "--bench-retrain") {
            return RetrainBench.run(arena: &arena, out: &out, err: &err)
        }
        #endif
        if Arguments.matches(1, "replay") {
            // `replay FILE.csv [--model MODEL.opm]`: the model file runs instead of the baked one.
            let withModel = Arguments.count == 5 && Arguments.matches(3, "--model")
            guard Arguments.count == 3 || withModel else {
                err.line("outpost: replay needs exactly one FILE.csv argument (or - for standard input), then optionally --model FILE")
                return 2
            }
            return Replay.run(pathIndex: 2, modelIndex: withModel ? 4 : 0, arena: &arena, out: &out, err: &err)
        }
        // No command: the daemon, with its flags (an unknown flag is refused there, exit 2).
        return Daemon.run(firstFlag: 1, arena: &arena, out: &out, err: &err)
    }
}

/// `outpost --help`.
enum Help {
    static func write(_ out: inout Console) {
        out.line("usage: outpost [--config FILE] [--log-level LEVEL] [--listen HOST:PORT[,OPTION]...]...")
        #if !OUTPOST_PROFILE_LOW
        out.line("               [--listen-dtls HOST[:PORT] --psk-file FILE]")
        #endif
        out.line("               [--serial DEVICE[@BAUD][:slip|:line]]...")
        out.line("               [--data-dir DIR [--log-size BYTES[K|M]] [--durability sync|batch|none]")
        out.line("                [--when-full drop-oldest|reject-new] [--upstream coap://HOST:PORT/PATH")
        out.line("                [--forward raw|summaries|alerts] [--uplink-rate RECORDS_PER_S]]] [--node-id NAME]")
        #if !OUTPOST_PROFILE_LOW
        out.line("               [--http [HOST:]PORT [--http-token-file FILE]] [--command-expiry S] [--model FILE]")
        #else
        out.line("               [--command-expiry S]")
        #endif
        out.line("               [--sensor-offline-after SECONDS] [--sensor-evict-after SECONDS]")
        #if !OUTPOST_PROFILE_LOW
        out.line("               [--threshold 'PATTERN QUANTITY FIELD=VALUE...']...")
        out.line("               [--retrain-every SECONDS] [--retrain-window N] [--retrain-seed N]")
        #endif
        out.line("       outpost COMMAND")
        out.line("")
        out.line("Outpost edge runtime daemon (this build's profile is shown by --version).")
        out.line("Without a command it runs the daemon: CoAP (RFC 7252) over UDP and serial")
        out.line("lines, SenML readings into the pipeline, until SIGINT or SIGTERM (exit 0).")
        out.line("SIGHUP reads the --config file again: uplink rate, forward mode, log level,")
        out.line("model, the sensor offline/evict times and the threshold rules change live;")
        out.line("other changes are reported as needing a restart.")
        out.line("")
        out.line("daemon flags (each has a key in the configuration file, docs/CONFIG.md):")
        out.line("  --config FILE        read options from FILE ([section] key = value, # comments;")
        out.line("                       see outpost.conf); flags given too override its keys.")
        out.line("                       A bad line is refused as FILE:LINE: ... (exit 2)")
        out.line("  --log-level error|warning|notice|info|debug")
        out.line("                       least severe message written on stderr (default info);")
        out.line("                       with stderr on the journal (JOURNAL_STREAM) every line")
        out.line("                       carries its syslog priority as <N>")
        out.line("  --listen HOST:PORT   UDP address to serve CoAP on; repeatable (at most 8).")
        out.line("                       IPv4 a.b.c.d:PORT, IPv6 [ADDR]:PORT (e.g. [::1]:5683,")
        out.line("                       [fe80::1%eth0]:5683), localhost:PORT; PORT 0 picks a")
        out.line("                       free port. Default 127.0.0.1:5683. Options after it:")
        out.line("                       ,read-only (GET only, else 4.03), ,allow=CIDR (repeatable)")
        #if !OUTPOST_PROFILE_LOW
        out.line("  --listen-dtls HOST[:PORT]")
        out.line("                       serve coaps: CoAP over DTLS 1.2 with pre-shared keys")
        out.line("                       (TLS_PSK_WITH_AES_128_CCM_8 / _CCM), PORT default 5684;")
        out.line("                       needs --psk-file (docs/SECURITY.md). Not in the low profile")
        out.line("  --psk-file FILE      DTLS keys, one IDENTITY:KEY-HEX:PATTERN[,PATTERN...] per")
        out.line("                       line (# comments); an identity may post readings only for")
        out.line("                       sensors matching its patterns (NAME or PREFIX*), others get")
        out.line("                       4.03. SIGHUP reads it again (sessions then handshake anew)")
        #endif
        out.line("  --source-requests-per-s N, --source-readings-per-s N")
        out.line("                       per source address (default 200, 1000); above: dropped")
        out.line("  --observe-lease-s N  /alerts registrations not renewed end (default 600)")
        out.line("  --amplification-factor N  GET answers (CON, NON) <= N x request (default 4, 0: off)")
        #if !OUTPOST_PROFILE_LOW
        out.line("  --image-max-bytes N  largest POST /images/{camera} upload (default: the")
        out.line("                       profile's, medium 1 MiB; 0: images refused). Not in low")
        #endif
        out.line("  --serial DEVICE[@BAUD][:slip|:line]")
        out.line("                       serial line; repeatable (at most 4). BAUD 9600, 19200,")
        out.line("                       38400, 57600, 115200 (default), 230400, 460800, 921600.")
        out.line("                       slip (default): SLIP frames carrying CoAP, answered on")
        out.line("                       the line; line: one SenML-JSON pack or CSV row (gen")
        out.line("                       columns) per line. A device that goes away is reopened")
        out.line("                       with backoff (0.1 s doubling to 5 s)")
        out.line("  --data-dir DIR       directory for the daemon's files (must exist). Turns on the")
        out.line("                       log DIR/outpost.log (docs/LOG_FORMAT.md): every processed")
        out.line("                       reading and alert is kept there and recovered on start.")
        out.line("                       Without it the daemon keeps nothing on disk")
        out.line("  --log-size BYTES[K|M]  size of the log file, 16K to 1024M (default: the")
        out.line("                       profile's, e.g. medium 16M); an existing log keeps its own")
        out.line("  --durability sync|batch|none")
        out.line("                       sync (default): fdatasync every tick before answering, so")
        out.line("                       an ACK means on disk; batch: write every tick, sync every")
        out.line("                       100 ms; none: never sync. A failed write or sync stops the")
        out.line("                       daemon (exit 1, message names the file and the error)")
        out.line("  --when-full drop-oldest|reject-new")
        out.line("                       drop-oldest (default): erase the oldest segment, counting")
        out.line("                       lost readings (alerts are copied forward); reject-new:")
        out.line("                       answer POSTed readings 5.03 with Max-Age until the uplink")
        out.line("                       frees a segment. A full disk behaves like reject-new")
        out.line("  --upstream coap://HOST:PORT/PATH")
        out.line("                       forward the log there as SenML-CBOR batches (CON POST,")
        out.line("                       Block1, retransmission, backoff); the forward cursor")
        out.line("                       survives restarts (needs --data-dir)")
        out.line("  --forward raw|summaries|alerts")
        out.line("                       what the uplink sends: every record (default), window")
        out.line("                       summaries and alerts, or alerts only")
        out.line("  --uplink-rate N      log records per second at most (default 0: unlimited)")
        out.line("  --node-id NAME       node name in /health and the uplink's SenML base name")
        out.line("                       (1-32 printable ASCII, first a letter or digit; default outpost)")
        #if !OUTPOST_PROFILE_LOW
        out.line("  --http [HOST:]PORT   serve HTTP/1.1 there (docs/HTTP.md): the dashboard at /,")
        out.line("                       /metrics for Prometheus, /health, /ready, /api/sensors,")
        out.line("                       /api/alerts, /api/events (Server-Sent Events). A bare")
        out.line("                       PORT binds 127.0.0.1; off by default")
        out.line("  --http-token-file FILE  bearer token (1-128 printable ASCII) that")
        out.line("                       POST /api/sensors/ID/command needs; without it commands")
        out.line("                       are refused (401)")
        out.line("  --upstream mqtt://HOST:PORT | mqtts://HOST:PORT")
        out.line("                       forward the log to an MQTT broker instead (docs/MQTT.md):")
        out.line("                       QoS 1, one message per record, commands subscribed")
        out.line("  --mqtt-batch N       up to N records of one topic per message, one SenML pack")
        out.line("                       (1-64; default 1: one message per record)")
        out.line("  --uplink-format senml-json|senml-cbor|influx   MQTT payloads (default senml-json)")
        out.line("  --mqtt-client-id ID, --mqtt-user NAME, --mqtt-password-file FILE,")
        out.line("  --mqtt-keepalive S (default 30), --mqtt-prefix P (default outpost)")
        out.line("  --mqtt-ca-file FILE  CA bundle for mqtts:// (default the system bundle)")
        out.line("  --mqtt-cert-file FILE --mqtt-key-file FILE   client certificate (mutual TLS)")
        #endif
        out.line("  --command-expiry SECONDS  a command not delivered to its sensor in this")
        out.line("                       time expires (1-604800; default 3600)")
        #if !OUTPOST_PROFILE_LOW
        out.line("  --model FILE         the forest to run instead of the baked one: a model file")
        out.line("                       (docs/MODEL_FORMAT.md, version 2 or 3) made for this profile")
        out.line("                       by outpost-tool train or import; SIGHUP reads it again")
        out.line("                       and swaps it in whole (a bad file keeps the running one)")
        #endif
        #if !OUTPOST_PROFILE_LOW
        out.line("  --retrain-every SECONDS  learn the forest on the board from recent normal")
        out.line("                       readings this often (high profile; default 300; 0: off)")
        out.line("  --retrain-window N   rows of recent normal readings a learned forest is built")
        out.line("                       from (64 to 1000; default 1000)")
        out.line("  --retrain-seed N     seed of the first learned forest (default 1)")
        #endif
        out.line("  --sensor-offline-after SECONDS")
        out.line("                       silence before a sensor's offline alert (default 300)")
        out.line("  --sensor-evict-after SECONDS")
        out.line("                       when the sensor table is full, a new sensor takes the slot")
        out.line("                       of the longest-silent sensor whose offline alert is raised")
        out.line("                       and that was silent this long (default 86400; 0: never)")
        #if !OUTPOST_PROFILE_LOW
        out.line("  --threshold 'PATTERN QUANTITY FIELD=VALUE...'")
        out.line("                       a threshold rule for the sensors named PATTERN (a name, or")
        out.line("                       PREFIX*) replacing the built-in one for QUANTITY (temperature,")
        out.line("                       humidity, pressure, vibration, power_consumption); FIELD")
        out.line("                       warn_above, warn_below, alert_above, alert_below,")
        out.line("                       critical_above, critical_below, rate_max, hysteresis; VALUE")
        out.line("                       in Cel, %RH, Pa, m/s2, W. Repeatable (16; the most specific")
        out.line("                       pattern wins). Live on SIGHUP")
        #else
        // The low profile refuses these options (not in its build): one line instead of their help.
        out.line("  not in the low profile (refused): --listen-dtls, --psk-file, --image-max-bytes,")
        out.line("                       --http, --http-token-file, --upstream mqtt[s]://, --mqtt-*,")
        out.line("                       --uplink-format, --model, --threshold, --retrain-*")
        #endif
        out.line("")
        out.line("commands:")
        out.line("  --version          print version, profile and architecture")
        out.line("  --profile-info     print the profile's constants and static memory footprint")
        out.line("  --self-test        run the built-in checks (prints 'N passed, M failed')")
        #if !OUTPOST_PROFILE_LOW
        out.line("  --bench-retrain    time one on-board retrain at the profile's sizes (high)")
        #endif
        out.line("  replay FILE.csv    feed recorded readings (outpost-tool gen columns; - for stdin)")
        out.line("                     through the pipeline; writes alerts and window summaries")
        out.line("                     as JSON lines to standard output; --model FILE after it")
        out.line("                     runs that model file instead of the baked model")
        out.line("  --help             this text")
        out.line("")
        out.line("exit status: 0 success, 1 runtime failure, 2 bad usage or bad input")
    }
}

/// `outpost --version`.
enum VersionInfo {
    static func write(_ out: inout Console) {
        out.reserve(128)
        out.writer.text("outpost ")
        out.writer.text(outpostVersion)
        out.writer.text(" profile=")
        out.writer.text(ActiveProfile.name)
        out.writer.text(" arch=")
        out.writer.text(architecture)
        out.writer.byte(0x0A)
    }

    static var architecture: StaticString {
        #if arch(arm64)
        return "aarch64"
        #elseif arch(arm)
        return "armv7"
        #elseif arch(x86_64)
        return "x86_64"
        #else
        return "unknown"
        #endif
    }
}
