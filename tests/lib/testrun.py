"""Runs a test module's unittest cases and ends with the line
"N passed, N failed" that scripts/check and CI read."""
import signal
import sys
import unittest


def run_tests(module):
    # a SIGTERM (timeout, CI) exits through atexit, which stops the stack
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and result.testsRun > 0 else 1
