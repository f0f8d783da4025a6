using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cairn.Rpc.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Cairn.Rpc.Tests;

public sealed class TlsTests
{
    private static readonly Lazy<X509Certificate2> Certificate = new(CreateSelfSigned);

    [Fact]
    public async Task Call_round_trips_over_TLS_with_a_pinned_certificate()
    {
        var cert = Certificate.Value;
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("server", tls: new RpcTlsOptions { ServerCertificate = cert }));
        var clientTls = new RpcTlsOptions { ServerCertificateSha256 = cert.GetCertHashString(HashAlgorithmName.SHA256) };
        await using var peer = TestCluster.PeerOf(server, TestCluster.Options("client", tls: clientTls));

        var response = await peer.CallAsync("echo", new BytesValue { Value = ByteString.CopyFromUtf8("secret data") }, new byte[70_000]);

        Assert.Equal("secret data", response.ParseBody(BytesValue.Parser).Value.ToStringUtf8());
        Assert.Equal(70_000, response.Payload.Length);
    }

    [Fact]
    public async Task Call_round_trips_over_TLS_trusting_the_cluster_CA_from_PEM_files()
    {
        var cert = Certificate.Value;
        var dir = Directory.CreateTempSubdirectory("cairn-rpc-tls");
        try
        {
            var certPath = Path.Combine(dir.FullName, "node.crt");
            var keyPath = Path.Combine(dir.FullName, "node.key");
            await File.WriteAllTextAsync(certPath, cert.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            var serverTls = new RpcTlsOptions { CertificatePath = certPath, PrivateKeyPath = keyPath };
            await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("server", tls: serverTls));
            // A self-signed certificate is its own CA.
            await using var peer = TestCluster.PeerOf(server, TestCluster.Options("client", tls: new RpcTlsOptions { CaCertificatePath = certPath }));

            var response = await peer.CallAsync("echo", new BytesValue { Value = ByteString.CopyFromUtf8("pem") });

            Assert.Equal("pem", response.ParseBody(BytesValue.Parser).Value.ToStringUtf8());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Server_certificate_loads_from_a_password_protected_PFX_file()
    {
        var cert = Certificate.Value;
        var dir = Directory.CreateTempSubdirectory("cairn-rpc-pfx");
        try
        {
            var pfxPath = Path.Combine(dir.FullName, "node.pfx");
            await File.WriteAllBytesAsync(pfxPath, cert.Export(X509ContentType.Pkcs12, "pfx-password"));
            var serverTls = new RpcTlsOptions { CertificatePath = pfxPath, CertificatePassword = "pfx-password" };
            await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("server", tls: serverTls));
            await using var peer = TestCluster.PeerOf(server, TestCluster.Options("client", tls: new RpcTlsOptions { CaCertificate = cert }));

            var response = await peer.CallAsync("echo", new BytesValue { Value = ByteString.CopyFromUtf8("pfx") });

            Assert.Equal("pfx", response.ParseBody(BytesValue.Parser).Value.ToStringUtf8());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Server_certificate_not_matching_the_pin_is_refused()
    {
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("server", tls: new RpcTlsOptions { ServerCertificate = Certificate.Value }));
        await using var peer = TestCluster.PeerOf(server, TestCluster.Options("client", tls: new RpcTlsOptions { ServerCertificateSha256 = new string('0', 64) }));

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.ConnectAsync());

        Assert.Equal(RpcStatus.Unauthenticated, error.Status);
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_client_against_a_TLS_server_fails_cleanly_on_both_sides()
    {
        var log = new CollectingLogger();
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), TestCluster.Options("server", tls: new RpcTlsOptions { ServerCertificate = Certificate.Value }), log);
        await using var plain = TestCluster.PeerOf(server);

        // The dialer cannot tell a refusal from a transient failure, so it retries until the deadline: keep it short.
        var error = await Assert.ThrowsAsync<RpcException>(() => plain.CallAsync("echo", new BytesValue(), timeout: TimeSpan.FromSeconds(1)));

        Assert.Contains("check that TLS is on, or off, on both nodes", error.Message, StringComparison.Ordinal);
        await Poll.UntilAsync(() => log.Contains("handshake with"), "the server to log the failed TLS handshake");
        Assert.Equal(0, server.ConnectionCount);
    }

    [Fact]
    public async Task TLS_client_against_a_plain_server_fails_cleanly_on_both_sides()
    {
        var log = new CollectingLogger();
        await using var server = TestCluster.StartServer(TestCluster.EchoRouter(), logger: log);
        var clientTls = new RpcTlsOptions { ServerCertificateSha256 = Certificate.Value.GetCertHashString(HashAlgorithmName.SHA256) };
        await using var peer = TestCluster.PeerOf(server, TestCluster.Options("client", tls: clientTls));

        var error = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync("echo", new BytesValue(), timeout: TimeSpan.FromSeconds(1)));

        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
        await Poll.UntilAsync(() => log.Contains("bad frame magic"), "the server to log the TLS hello as a bad frame");
    }

    private static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=cairn-test-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: false));
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName("cairn");
        request.CertificateExtensions.Add(sans.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
