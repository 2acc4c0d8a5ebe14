#!/usr/bin/env bash
# Builds the Debian package of one firmware: build/deb/outpost_<version>_<debarch>.deb, with
# dpkg-deb only (no debhelper). Called by `make deb ARCH=... PROFILE=...` after the firmware is built.
#
#   /usr/bin/outpost                       the firmware binary (stripped)
#   /lib/systemd/system/outpost.service    packaging/outpost.service
#   /etc/outpost/outpost.conf              the example configuration (a conffile: kept on upgrade)
#   /usr/share/man/man1/outpost.1.gz       packaging/outpost.1
#   /usr/share/doc/outpost/copyright       packaging/debian/copyright
#   DEBIAN/postinst, prerm, postrm         packaging/debian/ (no service is started by installing)
#
# Depends: computed from the binary's dynamic section (NEEDED libraries and the newest GLIBC_
# symbol version it uses); a static binary (x86_64 is static-pie) depends on nothing.
#
# Usage: scripts/make-deb.sh ARCH PROFILE   (ARCH aarch64|armv7|x86_64, PROFILE low|medium|high)
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:?usage: make-deb.sh ARCH PROFILE}
profile=${2:?usage: make-deb.sh ARCH PROFILE}
case "$arch" in
    aarch64) debarch=arm64; binutils=aarch64-linux-gnu- ;;
    armv7) debarch=armhf; binutils=arm-linux-gnueabihf- ;;
    x86_64) debarch=amd64; binutils= ;;
    *) echo "make-deb: ARCH must be aarch64, armv7 or x86_64 (got '$arch')" >&2; exit 2 ;;
esac
case "$profile" in
    low | medium | high) ;;
    *) echo "make-deb: PROFILE must be low, medium or high (got '$profile')" >&2; exit 2 ;;
esac
binary="build/firmware/$arch-$profile/outpost.stripped"
[ -f "$binary" ] || { echo "make-deb: $binary does not exist (make firmware ARCH=$arch PROFILE=$profile)" >&2; exit 1; }

# The version is the daemon's own (what --version prints).
version=$(sed -n 's/^let outpostVersion: StaticString = "\(.*\)"$/\1/p' Sources/outpost/Outpost.swift)
[ -n "$version" ] || { echo "make-deb: cannot read outpostVersion from Sources/outpost/Outpost.swift" >&2; exit 1; }

# Debian package names for the shared libraries a firmware may need.
package_of() {
    case "$1" in
        libc.so.6 | libm.so.6 | ld-linux*.so.* | libpthread.so.0 | libdl.so.2) echo libc6 ;;
        # armv7 links with lld and LTO: the EABI helpers (__aeabi_ldivmod…) then come from the
        # shared libgcc, Debian's libgcc-s1 (essential on every Debian system, named for the record).
        libgcc_s.so.1) echo libgcc-s1 ;;
        libmbedtls.so.*) echo "libmbedtls${1#libmbedtls.so.}" ;;
        libmbedcrypto.so.*) echo "libmbedcrypto${1#libmbedcrypto.so.}" ;;
        libmbedx509.so.*) echo "libmbedx509-${1#libmbedx509.so.}" ;;
        *) echo "make-deb: $binary needs $1, which has no package mapping here: add it" >&2; return 1 ;;
    esac
}
needed=$("${binutils}readelf" -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
depends=""
if [ -n "$needed" ]; then
    packages=()
    for library in $needed; do
        package=$(package_of "$library")
        case " ${packages[*]-} " in *" $package "*) ;; *) packages+=("$package") ;; esac
    done
    for package in "${packages[@]}"; do
        entry=$package
        if [ "$package" = libc6 ]; then
            # The newest glibc symbol version the binary references is the oldest glibc it runs on.
            glibc=$("${binutils}objdump" -T "$binary" | grep -oE 'GLIBC_[0-9]+\.[0-9]+(\.[0-9]+)?' | sed 's/GLIBC_//' | sort -V | tail -1)
            [ -n "$glibc" ] && entry="libc6 (>= $glibc)"
        fi
        depends="${depends:+$depends, }$entry"
    done
fi

stage="build/deb/stage-$arch-$profile"
rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/outpost" \
    "$stage/usr/share/man/man1" "$stage/usr/share/doc/outpost"
install -m 0755 "$binary" "$stage/usr/bin/outpost"
install -m 0644 packaging/outpost.service "$stage/lib/systemd/system/outpost.service"
install -m 0644 outpost.conf "$stage/etc/outpost/outpost.conf"
gzip -9n < packaging/outpost.1 > "$stage/usr/share/man/man1/outpost.1.gz"
chmod 0644 "$stage/usr/share/man/man1/outpost.1.gz"
install -m 0644 packaging/debian/copyright "$stage/usr/share/doc/outpost/copyright"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$stage/DEBIAN/$script"; done
echo "/etc/outpost/outpost.conf" > "$stage/DEBIAN/conffiles"

installed_kib=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
{
    echo "Package: outpost"
    echo "Version: $version"
    echo "Architecture: $debarch"
    echo "Maintainer: Outpost maintainers <outpost@localhost>"
    echo "Installed-Size: $installed_kib"
    [ -n "$depends" ] && echo "Depends: $depends"
    echo "Section: net"
    echo "Priority: optional"
    echo "Description: edge gateway daemon ($profile profile): CoAP/SenML ingest, anomaly detection"
    echo " Outpost receives sensor readings as SenML over CoAP (UDP and serial lines),"
    echo " scores them for anomalies, raises alerts, keeps them in a crash-safe log and"
    echo " forwards the log upstream. Built for $arch with the $profile profile's fixed"
    echo " memory limits; runs as a systemd service (Type=notify, watchdog, dynamic user)."
} > "$stage/DEBIAN/control"

deb="build/deb/outpost_${version}_${debarch}.deb"
# --root-owner-group: every file root:root whoever builds; -Zxz: the usual compression.
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "make-deb: built $deb ($(stat -c %s "$deb") bytes; $arch $profile; Depends: ${depends:-none (static)})"
