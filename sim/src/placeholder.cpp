// Placeholder translation unit until the first sim module lands.
