// Placeholder translation unit until the first profiler module lands.
