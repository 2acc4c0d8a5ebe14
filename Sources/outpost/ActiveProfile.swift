import OutpostCore
import OutpostProfiles

// The profile of this build, chosen at compile time: `swift build --traits low|high|test` or the
// firmware's `-D OUTPOST_PROFILE_<NAME>`. Medium is the default.
#if OUTPOST_PROFILE_LOW
typealias ActiveProfile = ProfileLow
#elseif OUTPOST_PROFILE_HIGH
typealias ActiveProfile = ProfileHigh
#elseif OUTPOST_PROFILE_TEST
typealias ActiveProfile = ProfileTest
#else
typealias ActiveProfile = ProfileMedium
#endif
