// Entry point of the one `passwerk` binary.
#include "cli/cli.h"

int main(int argc, char** argv) { return passwerk::cli::Run(argc, argv); }
