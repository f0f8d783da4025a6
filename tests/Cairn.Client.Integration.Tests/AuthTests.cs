using Cairn.Client.Datastore;
using Cairn.Client.Resp;
using Cairn.Testing;

namespace Cairn.Client.Integration.Tests;

/// <summary>A server with a password, and its fixture.</summary>
public sealed class PasswordServer : IDisposable
{
    public const string Password = "s3cret";

    public CairnServerProcess Server { get; } = CairnServerProcess.WithPassword(Password);

    public void Dispose() => Server.Dispose();
}

public sealed class AuthTests(PasswordServer fixture) : IClassFixture<PasswordServer>
{
    [Fact]
    public async Task A_client_with_the_password_authenticates_each_connection()
    {
        await using var ds = new RespDatastore(new RespClientOptions { Port = fixture.Server.Port, Password = PasswordServer.Password });
        await ds.PutAsync(new Key("/auth/ok"), "yes"u8.ToArray());
        Assert.Equal("yes"u8.ToArray(), await ds.GetAsync(new Key("/auth/ok")));
    }

    [Fact]
    public async Task Without_the_password_commands_fail_with_noauth_and_a_wrong_one_with_wrongpass()
    {
        await using var anonymous = new RespClient(new RespClientOptions { Port = fixture.Server.Port });
        var error = await Assert.ThrowsAsync<RespServerException>(() => anonymous.ExecuteAsync(new RespCommand("GET").Add("x")));
        Assert.Equal("NOAUTH", error.Code);

        await using var wrong = new RespClient(new RespClientOptions { Port = fixture.Server.Port, Password = "nope" });
        error = await Assert.ThrowsAsync<RespServerException>(() => wrong.ExecuteAsync(new RespCommand("PING")));
        Assert.Equal("WRONGPASS", error.Code);
    }
}
