"""Each SDK's credential-chain rules, as data: one table per SDK.

Tables are NamedTuples, not dataclasses: they are built at every start,
and a NamedTuple class costs a tenth of a dataclass to create.  Read by the
one chain walker (`_chain.walk`) and by the container and
instance-metadata rules (`_container`, `_imds`).  Every rule cites the SDK's
own source (the research notes: ``go.md`` G1-G17, ``java.md`` J1-J14,
``js.md`` J0-J7); botocore's rules are botocore 1.43's, proven against it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from roleprobe._credentials import SOURCES, Source
from roleprobe._detect import Sdk

#: What a link of the chain is: the SDK's providers, named for roleprobe.
LinkName = Literal["env", "web-identity-env", "profile", "process", "remote"]
#: What a profile can resolve to, in the SDK's own precedence order.
ProfileKind = Literal[
    "source-profile",  # role_arn + source_profile
    "credential-source",  # role_arn + credential_source
    "static",  # aws_access_key_id + aws_secret_access_key
    "web-identity",  # role_arn + web_identity_token_file
    "sso",  # any sso_* setting
    "login",  # login_session
    "process",  # credential_process
    "container",  # Go only: the container endpoint as a profile's base
    "imds",  # Go only: instance metadata as a profile's base
]
#: Failures decided from files and variables, before any network.
Failure = Literal[
    "partial-keys",  # a key id without a secret, or the reverse
    "missing-profile",  # the selected profile does not exist
    "no-credentials",  # the profile exists but resolves to nothing
    "bad-role",  # role_arn without a usable source, a loop, a missing source
    "sso-config",  # SSO settings incomplete
    "config",  # any other invalid setting
]
ALL_FAILURES: frozenset[Failure] = frozenset(
    {
        "partial-keys",
        "missing-profile",
        "no-credentials",
        "bad-role",
        "sso-config",
        "config",
    }
)
HostRule = Literal["botocore", "js", "go", "java"]
ImdsOff = Literal["true-any-case", "truthy-but-false", "strict-boolean"]


class ContainerRules(NamedTuple):
    """How the SDK finds, checks and asks the container endpoint."""

    empty_is_unset: bool  # an empty URI variable counts as unset
    hosts: HostRule  # which hosts an http URI may name (see _container)
    token_file_wins: bool  # AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE over the variable
    proxies: bool  # the endpoint is asked through HTTP_PROXY and the like
    metadata_retry: bool  # JS: fromContainerMetadata after fromHttp fails


class ImdsRules(NamedTuple):
    """Which instance-metadata settings the SDK honours, and its defaults."""

    off: ImdsOff  # which AWS_EC2_METADATA_DISABLED values turn IMDS off
    use_ipv6: bool  # AWS_IMDS_USE_IPV6 read
    mode_case_sensitive: bool  # AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE spelling
    timeout_variable: Literal["int", "float", None]  # AWS_METADATA_SERVICE_TIMEOUT
    timeout: float  # seconds per request without the variable
    attempts_variable: bool  # AWS_METADATA_SERVICE_NUM_ATTEMPTS read
    attempts: int  # tries per request without the variable
    proxies: bool  # asked through HTTP_PROXY and the like
    v1_off: ImdsOff  # which AWS_EC2_METADATA_V1_DISABLED values block IMDSv1


class Rules(NamedTuple):
    """One SDK's default chain, as the walker reads it."""

    sdk: Sdk
    links: tuple[LinkName, ...]  # the chain's links, in order
    profile_order: tuple[ProfileKind, ...]  # inside a profile, first match wins
    profile_variables: tuple[str, ...]  # naming the profile, first one set wins
    empty_profile_is_unset: bool  # AWS_PROFILE='' means the default profile
    missing_profile_fails: tuple[str, ...]  # variables whose missing profile stops
    profile_disables_env: bool  # a profile name set turns the env keys off
    env_key_names: tuple[tuple[str, ...], tuple[str, ...]]  # (key id, secret)
    credentials_file_wins: bool  # per key, when both files set it
    role_needs_source: bool  # role_arn alone: False = ignored (Java), see role_on_top
    role_on_top: bool  # Go: role_arn assumed on whatever the profile resolved to
    load_falls: frozenset[Failure]  # failures that go on to the next link
    run_falls: frozenset[Source]  # sources whose failure at run time goes on
    container_then_imds: bool  # a failing container endpoint falls back to IMDS
    strict_load: bool  # Go: invalid profiles and variables fail at load (G10)
    container: ContainerRules
    imds: ImdsRules


BOTOCORE = Rules(
    sdk="python",
    # botocore.credentials.create_credential_resolver: its links are the
    # functions of _links and _profile, which mirror each provider's load()
    # and are proven against botocore itself; the walker reads only what
    # follows (nothing falls through) from this table.
    links=(),
    profile_order=(),
    profile_variables=("AWS_DEFAULT_PROFILE", "AWS_PROFILE"),
    empty_profile_is_unset=False,
    missing_profile_fails=("AWS_DEFAULT_PROFILE", "AWS_PROFILE"),
    profile_disables_env=False,
    env_key_names=(("AWS_ACCESS_KEY_ID",), ("AWS_SECRET_ACCESS_KEY",)),
    credentials_file_wins=True,
    role_needs_source=True,
    role_on_top=False,
    load_falls=frozenset(),
    run_falls=frozenset(),
    container_then_imds=False,
    strict_load=False,
    container=ContainerRules(
        empty_is_unset=False,  # ContainerProvider tests presence
        hosts="botocore",  # ContainerMetadataFetcher._validate_allowed_url
        token_file_wins=True,
        proxies=False,
        metadata_retry=False,
    ),
    imds=ImdsRules(
        off="true-any-case",  # InstanceMetadataProvider: .lower() == 'true'
        use_ipv6=True,  # utils.resolve_imds_endpoint_mode
        mode_case_sensitive=False,
        timeout_variable="int",  # int(metadata_service_timeout)
        timeout=1.0,
        attempts_variable=True,
        attempts=1,
        proxies=True,  # IMDSFetcher uses get_environ_proxies
        v1_off="true-any-case",
    ),
)

JS = Rules(
    sdk="js",
    # credential-provider-node defaultProvider: fromEnv, fromSSO (code only),
    # fromIni, fromProcess, fromTokenFile, remoteProvider (js.md J1).
    links=("env", "profile", "process", "web-identity-env", "remote"),
    # credential-provider-ini resolveProfileData (js.md J3).
    profile_order=(
        "source-profile",
        "credential-source",
        "static",
        "web-identity",
        "process",
        "sso",
        "login",
    ),
    # @smithy/core/config getProfileName: AWS_PROFILE || "default" (js.md J2).
    profile_variables=("AWS_PROFILE",),
    empty_profile_is_unset=True,
    missing_profile_fails=(),
    # fromEnv: skipped when process.env.AWS_PROFILE is truthy (js.md J1).
    profile_disables_env=True,
    env_key_names=(("AWS_ACCESS_KEY_ID",), ("AWS_SECRET_ACCESS_KEY",)),
    # parseKnownFiles -> mergeConfigFiles: credentials over config (js.md J3).
    credentials_file_wins=True,
    role_needs_source=False,  # role_arn alone: not an assume-role profile
    role_on_top=False,
    # ProviderError: tryNextLink defaults to true; SSO errors set it false
    # (js.md J0, J7).
    load_falls=frozenset(
        {"partial-keys", "missing-profile", "no-credentials", "bad-role", "config"}
    ),
    # resolveProcessCredentials rethrows as CredentialsProviderError (js.md J4).
    run_falls=frozenset({"custom-process"}),
    container_then_imds=False,  # remoteProvider: container or IMDS (js.md J5)
    strict_load=False,
    container=ContainerRules(
        empty_is_unset=True,  # remoteProvider tests truthiness (js.md J5)
        hosts="js",  # credential-provider-http checkUrl
        token_file_wins=True,  # fromHttp: the file wins, with a warning
        proxies=False,
        metadata_retry=True,  # chain(fromHttp, fromContainerMetadata)
    ),
    imds=ImdsRules(
        off="truthy-but-false",  # remoteProvider (js.md J6)
        use_ipv6=False,
        mode_case_sensitive=True,  # exactly IPv4 or IPv6
        timeout_variable=None,
        timeout=1.0,  # providerConfigFromInit: timeout 1000, maxRetries 0
        attempts_variable=False,
        attempts=1,
        proxies=False,
        v1_off="truthy-but-false",
    ),
)

GO = Rules(
    sdk="go",
    # config/resolve_credentials.go resolveCredentialChain (go.md G1).
    links=("env", "web-identity-env", "profile"),
    # resolveCredsFromProfile; container and IMDS end it (go.md G7).
    profile_order=(
        "source-profile",
        "static",
        "credential-source",
        "web-identity",
        "sso",
        "login",
        "process",
        "container",
        "imds",
    ),
    # env_config.go NewEnvConfig: first non-empty (go.md G4).
    profile_variables=("AWS_PROFILE", "AWS_DEFAULT_PROFILE"),
    empty_profile_is_unset=True,
    # config.go resolveConfigLoaders: strict only for AWS_PROFILE (go.md G4).
    missing_profile_fails=("AWS_PROFILE",),
    profile_disables_env=False,  # go.md G3
    # env_config.go NewEnvConfig: legacy names accepted (go.md G5).
    env_key_names=(
        ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
    ),
    # shared_config.go mergeSections: credentials win, as a pair (go.md G9).
    credentials_file_wins=True,
    role_needs_source=False,
    role_on_top=True,  # go.md G7, G8
    load_falls=frozenset(),  # LoadDefaultConfig fails (go.md G10)
    run_falls=frozenset(),  # chosen once, no fall-through (go.md G2)
    container_then_imds=False,  # go.md G13
    strict_load=True,  # shared_config.go, env_config.go (go.md G10)
    container=ContainerRules(
        empty_is_unset=True,  # len(...) != 0 (go.md G11)
        hosts="go",  # resolveLocalHTTPCredProvider isAllowedHost
        token_file_wins=True,  # endpointcreds resolveAuthToken (go.md G12)
        proxies=True,  # ProxyFromEnvironment (go.md G13)
        metadata_retry=False,
    ),
    imds=ImdsRules(
        off="true-any-case",  # strings.EqualFold(value, "true") (go.md G14)
        use_ipv6=False,  # not read (go.md G15)
        mode_case_sensitive=False,
        timeout_variable=None,
        timeout=0.5,  # ResponseHeaderTimeout 500 ms (go.md G15)
        attempts_variable=False,
        attempts=3,  # retry.NewStandard (go.md G15)
        proxies=True,
        v1_off="true-any-case",  # resolveEnableFallback (go.md G16)
    ),
)

JAVA = Rules(
    sdk="java",
    # DefaultCredentialsProvider.createChain (java.md J1).
    links=("env", "web-identity-env", "profile", "remote"),
    # ProfileCredentialsUtils.credentialsProviderWithFeatureID (java.md J7).
    profile_order=(
        "web-identity",
        "sso",
        "source-profile",
        "credential-source",
        "login",
        "process",
        "static",
    ),
    # ProfileFileSystemSetting.AWS_PROFILE; AWS_DEFAULT_PROFILE unread (J4).
    profile_variables=("AWS_PROFILE",),
    empty_profile_is_unset=False,  # resolveSetting: '' is present
    missing_profile_fails=(),
    profile_disables_env=False,
    env_key_names=(("AWS_ACCESS_KEY_ID",), ("AWS_SECRET_ACCESS_KEY",)),  # J3
    credentials_file_wins=True,  # ProfileFile.Aggregator (java.md J8)
    role_needs_source=False,  # role_arn alone is ignored (java.md J7)
    role_on_top=False,
    # AwsCredentialsProviderChain catches every RuntimeException (J2, J5).
    load_falls=ALL_FAILURES,
    run_falls=frozenset(SOURCES) - {"ec2-credentials-file", "boto-config"},
    container_then_imds=True,  # java.md J12
    strict_load=False,
    container=ContainerRules(
        empty_is_unset=False,  # isPresent() (java.md J10)
        hosts="java",  # ContainerCredentialsEndpointProvider.validateURI
        token_file_wins=False,  # getTokenValue: the variable wins (J11)
        proxies=False,  # Proxy.NO_PROXY (java.md J12)
        metadata_retry=False,
    ),
    imds=ImdsRules(
        off="strict-boolean",  # getBooleanValueOrThrow (java.md J13)
        use_ipv6=False,  # java.md J14
        mode_case_sensitive=False,
        timeout_variable="float",  # Ec2MetadataServiceTimeoutResolver (J14)
        timeout=1.0,
        attempts_variable=False,
        attempts=1,
        proxies=False,
        v1_off="strict-boolean",  # Ec2MetadataDisableV1Resolver
    ),
)

RULES: dict[Sdk, Rules] = {
    "python": BOTOCORE,
    "js": JS,
    "go": GO,
    "java": JAVA,
}


def is_off(value: str | None, rule: ImdsOff) -> bool | None:
    """Tell whether a boolean variable is on by *rule*; None: invalid (Java)."""
    if rule == "truthy-but-false":  # JS: truthy and not exactly "false"
        return bool(value) and value != "false"
    if value is None:
        return False
    if rule == "true-any-case":
        return value.lower() == "true"
    if value.lower() in ("true", "false"):  # SystemSettingUtils.safeStringToBoolean
        return value.lower() == "true"
    return None
