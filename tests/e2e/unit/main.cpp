// crmctl's unit tests: its pure parts (tables, CSV, problems, output forms,
// the credentials file), no server needed.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
