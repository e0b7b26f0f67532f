// The unit test runner: Catch2's own main. Each unit's tests live in a file of
// their own, named after the unit (RouterTest.cpp for http/Router.hpp).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
