// crm-host entry point.
#include "app/HostApplication.hpp"

#include <iostream>

POCO_SERVER_MAIN(crm::app::HostApplication)
