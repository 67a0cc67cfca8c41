// Preloaded (--import) into the bare and lesson apps only when profiling: they have no SIGTERM handler,
// and a process killed by a signal never writes its --cpu-prof profile.
process.once('SIGTERM', () => process.exit(0));
