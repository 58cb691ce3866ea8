"""SFTP exchange with 3PL warehouses (paramiko; no Django).

Upload with put-then-rename, poll with a read lock, archive or park what was
read, pin every server's host key. See ``client`` for the contracts.
"""

from connectors.sftp.client import SftpClient
from connectors.sftp.endpoint import RemoteFolder, SftpEndpoint, SftpFolders
from connectors.sftp.host_keys import fingerprint
from connectors.sftp.remote_files import FetchedFile, RemoteFile, UploadReceipt

__all__ = [
    "FetchedFile",
    "RemoteFile",
    "RemoteFolder",
    "SftpClient",
    "SftpEndpoint",
    "SftpFolders",
    "UploadReceipt",
    "fingerprint",
]
