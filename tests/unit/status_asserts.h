// Assertions on a Status for the unit tests: its code by the error id the
// API would answer with, and Redis's or the store's words on failure.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tokend/common/status.h"

#define ASSERT_CODE(expected, status_expr)                                    \
  do {                                                                        \
    const ::tokend::Status status_once = (status_expr);                       \
    CPPUNIT_ASSERT_EQUAL_MESSAGE(status_once.description(),                   \
                                 std::string(::tokend::ErrorIdOf(expected)),  \
                                 std::string(::tokend::ErrorIdOf(             \
                                     status_once.code())));                   \
  } while (0)

#define ASSERT_OK(status_expr) ASSERT_CODE(::tokend::Code::kOk, status_expr)
