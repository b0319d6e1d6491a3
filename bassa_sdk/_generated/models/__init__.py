"""Contains all the data models used in inputs/outputs"""

from .compress_request import CompressRequest
from .compression_job import CompressionJob
from .download import Download
from .download_created import DownloadCreated
from .download_progress import DownloadProgress
from .error import Error
from .health import Health
from .health_checks import HealthChecks
from .heavy_user import HeavyUser
from .login_form import LoginForm
from .login_result import LoginResult
from .new_download import NewDownload
from .new_user import NewUser
from .queue_change import QueueChange
from .queue_status import QueueStatus
from .rating import Rating
from .rating_result import RatingResult
from .share_link import ShareLink
from .share_request import ShareRequest
from .sign_up_request import SignUpRequest
from .signup_request import SignupRequest
from .status import Status
from .user_summary import UserSummary
from .user_update import UserUpdate

__all__ = (
    "CompressRequest",
    "CompressionJob",
    "Download",
    "DownloadCreated",
    "DownloadProgress",
    "Error",
    "Health",
    "HealthChecks",
    "HeavyUser",
    "LoginForm",
    "LoginResult",
    "NewDownload",
    "NewUser",
    "QueueChange",
    "QueueStatus",
    "Rating",
    "RatingResult",
    "ShareLink",
    "ShareRequest",
    "SignUpRequest",
    "SignupRequest",
    "Status",
    "UserSummary",
    "UserUpdate",
)
