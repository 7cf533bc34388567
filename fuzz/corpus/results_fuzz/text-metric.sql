UPDATE results SET step_time_ms = 'fast' WHERE config_key = 'k0';
