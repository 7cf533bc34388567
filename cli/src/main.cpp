#include <malloc.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  // Keep freed memory instead of returning it to the kernel whenever 128 KiB lie free at the top
  // of the heap (glibc's default): plan search and sweeps build and free a step's worth of
  // structures per plan, and the trims and page faults that followed took a quarter of `plan`'s
  // time (docs/PERFORMANCE.md). Peak memory is unchanged.
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = hopsim::cli::run_cli(args, {std::cout, std::cerr, std::cin});
  // run_cli() checked std::cout (which writes through C stdio); this also covers anything that
  // wrote to stdout directly. Skipped after a failure, which has been reported already.
  errno = 0;
  if (rc == 0 && (std::fflush(stdout) != 0 || std::ferror(stdout) != 0)) {
    const int err = errno;
    std::fprintf(stderr, "error: cannot write to standard output%s%s; the output is incomplete\n",
                 err != 0 ? ": " : "", err != 0 ? std::strerror(err) : "");
    rc = 1;
  }
  return rc;
}
