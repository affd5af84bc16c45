// Runs every registered CppUnit fixture and ends with "unit: N passed, N failed".
// One argument runs only the fixture or test it names, e.g.
// `unit_tests tokend::ClusterClientTest`.
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>

int main(int argc, char** argv) {
  CppUnit::TestResult controller;
  CppUnit::TestResultCollector collector;
  controller.addListener(&collector);
  CppUnit::BriefTestProgressListener progress;
  controller.addListener(&progress);

  CppUnit::TestRunner runner;
  runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
  runner.run(controller, argc > 1 ? argv[1] : "");

  CppUnit::CompilerOutputter outputter(&collector, std::cerr);
  outputter.write();
  int failed = collector.testFailuresTotal();
  int passed = collector.runTests() - failed;
  std::cout << "unit: " << passed << " passed, " << failed << " failed"
            << std::endl;
  return failed == 0 ? 0 : 1;
}
