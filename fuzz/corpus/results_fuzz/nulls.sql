UPDATE results SET config = NULL, reason = NULL; DELETE FROM meta WHERE key = 'sweep_hash';
