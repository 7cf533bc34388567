-- Run-to-run spread of identical kernel launches in a kernel-campaign trace database
-- (kernels/measure's schema): per kernel class, the coefficient of variation of each
-- measurement's repeats (one kernel name, at least 10 repeats of at least 20 us, run alone).
-- One GPU, back to back: a lower bound of the rank-to-rank spread `plan.variation.kernel_time_cv`
-- stands for. Usage: sqlite3 -header -column TRACE.sqlite < scripts/kernel_spread.sql
WITH per AS (
  SELECT m.kernel_class AS class,
         AVG(k.end_ns - k.start_ns) AS mean_ns,
         SQRT(MAX(AVG((k.end_ns - k.start_ns) * (k.end_ns - k.start_ns))
                  - AVG(k.end_ns - k.start_ns) * AVG(k.end_ns - k.start_ns), 0)) AS sd_ns,
         COUNT(*) AS n
  FROM kernels k JOIN measurements m ON m.id = k.measurement_id
  WHERE m.role = 'alone'
  GROUP BY k.measurement_id, k.name
  HAVING n >= 10 AND mean_ns >= 20000)
SELECT class, COUNT(*) AS measurements,
       ROUND(100.0 * MIN(sd_ns / mean_ns), 2) AS min_cv_pct,
       ROUND(100.0 * AVG(sd_ns / mean_ns), 2) AS mean_cv_pct,
       ROUND(100.0 * MAX(sd_ns / mean_ns), 2) AS max_cv_pct
FROM per GROUP BY class ORDER BY class;
