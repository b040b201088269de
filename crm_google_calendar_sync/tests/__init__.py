from . import test_install
from . import test_access
from . import test_sync
