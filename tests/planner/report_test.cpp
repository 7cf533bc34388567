#include "hopsim/planner/report.hpp"
