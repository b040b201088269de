from . import test_install
from . import test_access
from . import test_sync
from . import test_oauth_flow
from . import test_rpc_access
from . import test_tour
from . import test_reliability
from . import test_bad_input
