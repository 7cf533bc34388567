#include "hopsim/planner/plan_search.hpp"
