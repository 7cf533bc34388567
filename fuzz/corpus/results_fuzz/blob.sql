UPDATE results SET result_json = X'00FF7B', config = '{"plan.pp": [1,'; INSERT INTO meta VALUES ('x', X'FF');
