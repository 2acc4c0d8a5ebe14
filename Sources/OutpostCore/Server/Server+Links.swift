// GET /.well-known/core (RFC 6690 link format, RFC 7252 §7.2).

extension Server {
    /// The links of every resource, with resource type, content formats, interface and `obs`.
    static var links: StaticString {
        """
        </readings>;rt="outpost.readings";ct="110 112";if="core.p",\
        </health>;rt="outpost.health";ct="50 60";if="core.rp",\
        </sensors>;rt="outpost.sensors";ct="50 60";if="core.rp",\
        </alerts>;rt="outpost.alerts";ct="50 60";if="core.rp";obs,\
        </metrics>;rt="outpost.metrics";ct=0;if="core.rp"
        """
    }

    /// Writes the link format document into the body scratch; returns its length.
    func renderLinks() -> Int {
        var writer = TextWriter(buffer: body)
        writer.text(Server.links)
        // Per-sensor resources are listed too while they fit one datagram's worth of links.
        for index in 0..<pipeline.sensors.count {
            let before = writer.count
            writer.text(",</sensors/")
            writer.name(pipeline.sensors.name(at: index))
            writer.text(">;rt=\"outpost.sensor\";ct=\"50 60\";if=\"core.rp\"")
            if writer.overflowed || writer.count > P.responseBodyBytes / 2 {
                return before
            }
        }
        return writer.count
    }
}
