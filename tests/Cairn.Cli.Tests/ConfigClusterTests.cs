using System.Text;
using System.Text.Json.Nodes;
using Cairn.Cli.Config;

namespace Cairn.Cli.Tests;

public sealed class ConfigClusterTests
{
    private static GeneratedCluster Write(TempDirectory temp, int nodes = 3, int basePort = 7000, bool force = false, int? replication = null) =>
        ClusterConfigGenerator.Write(new ClusterConfigOptions { Nodes = nodes, OutDir = temp.Path, BasePort = basePort, Force = force, Replication = replication });

    /// <summary>Writes a 3-node cluster, edits node-0.json with <paramref name="edit"/> and loads it.</summary>
    private static InvalidDataException LoadEdited(TempDirectory temp, Action<JsonObject> edit)
    {
        Write(temp);
        var path = temp["node-0.json"];
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        return Assert.Throws<InvalidDataException>(() => NodeConfig.Load(path));
    }

    private static string Describe(ClusterMember m) => $"{m.NodeId} {m.RespAddress} {m.RaftAddress} {string.Join('+', m.Roles)}";

    private static JsonObject Member(JsonObject node, int index) => node["members"]![index]!.AsObject();

    [Fact]
    public void Generated_files_load_and_validate_with_every_field_filled_in()
    {
        using var temp = new TempDirectory();
        var cluster = Write(temp, nodes: 3);

        Assert.Equal(3, Directory.EnumerateFiles(temp.Path, "node-*.json").Count());
        for (var i = 0; i < 3; i++)
        {
            var node = NodeConfig.Load(temp[$"node-{i}.json"]);
            Assert.Equal(cluster.ClusterId, node.ClusterId);
            Assert.Equal([RoleNames.Meta, RoleNames.Kv], node.Roles);
            Assert.Equal(Path.Combine(temp.Path, "data", $"node-{i}"), node.DataDir);
            Assert.Equal("127.0.0.1", node.Host);
            Assert.Equal("127.0.0.1", node.BindAddress);
            Assert.Equal(3, node.Replication);
            Assert.Equal(6, node.ShardGroups);
            Assert.Equal(SyncModes.Group, node.Sync);
            Assert.Equal(100, node.TickMs);
            Assert.Null(node.Join);
            Assert.Equal(node.NodeId, node.GetSelf()!.NodeId);
        }

        var client = ClientConfig.Load(temp["client.json"]);
        Assert.Equal(cluster.ClusterId, client.ClusterId);
        Assert.Equal(["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"], client.Seeds);
        Assert.Null(client.Password);
    }

    [Fact]
    public void Node_i_has_id_i_plus_1_resp_port_P_plus_i_and_raft_port_P_plus_10000_plus_i()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 5, basePort: 9100);

        var nodes = Enumerable.Range(0, 5).Select(i => NodeConfig.Load(temp[$"node-{i}.json"])).ToArray();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((ulong)i + 1, nodes[i].NodeId);
            Assert.Equal(9100 + i, nodes[i].RespPort);
            Assert.Equal(19100 + i, nodes[i].RaftPort);
            Assert.Equal(nodes[0].Members.Select(Describe), nodes[i].Members.Select(Describe));
        }

        Assert.Equal([1UL, 2, 3, 4, 5], nodes[0].Members.Select(m => m.NodeId));
        Assert.Equal(Enumerable.Range(9100, 5), nodes[0].Members.Select(m => m.RespPort));
        Assert.Equal(Enumerable.Range(19100, 5), nodes[0].Members.Select(m => m.RaftPort));
    }

    [Fact]
    public void The_secret_is_64_hex_chars_identical_in_every_file_and_new_for_every_cluster()
    {
        using var temp = new TempDirectory();
        using var other = new TempDirectory();
        Write(temp, nodes: 4);
        Write(other, nodes: 4);

        var secrets = Enumerable.Range(0, 4).Select(i => NodeConfig.Load(temp[$"node-{i}.json"]).ClusterSecret).Distinct().ToArray();
        var secret = Assert.Single(secrets);
        Assert.Matches("^[0-9a-f]{64}$", secret);
        Assert.Equal(32, NodeConfig.Load(temp["node-0.json"]).GetClusterSecretBytes().Length);
        Assert.NotEqual(secret, NodeConfig.Load(other["node-0.json"]).ClusterSecret);
        Assert.DoesNotContain(secret, File.ReadAllText(temp["client.json"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Files_are_readable_only_by_their_owner_and_no_temporary_files_are_left()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 2);

        Assert.Equal(["client.json", "node-0.json", "node-1.json"], Directory.EnumerateFiles(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in Directory.EnumerateFiles(temp.Path))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 2)]
    [InlineData(2, 2, 4)]
    [InlineData(5, 3, 10)]
    [InlineData(600, 3, 1024)]
    public void Replication_defaults_to_min_3_N_and_shard_groups_to_2N_capped(int nodes, int replication, int shardGroups)
    {
        var cluster = ClusterConfigGenerator.Build(new ClusterConfigOptions { Nodes = nodes, OutDir = "out" });

        Assert.All(cluster.Nodes, n => Assert.Equal(replication, n.Replication));
        Assert.All(cluster.Nodes, n => Assert.Equal(shardGroups, n.ShardGroups));
        Assert.Equal(nodes, cluster.Nodes[^1].Members.Count);
    }

    [Fact]
    public void It_refuses_to_overwrite_a_cluster_and_leaves_its_files_untouched()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 2);
        var before = File.ReadAllText(temp["node-0.json"]);

        var e = Assert.Throws<IOException>(() => Write(temp, nodes: 2));

        Assert.Contains("node-0.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(temp["node-0.json"]));
    }

    [Fact]
    public void Force_overwrites_with_a_new_secret_and_removes_node_files_beyond_the_new_size()
    {
        using var temp = new TempDirectory();
        var first = Write(temp, nodes: 3);

        var second = Write(temp, nodes: 2, force: true);

        Assert.NotEqual(first.ClusterId, second.ClusterId);
        Assert.False(File.Exists(temp["node-2.json"]));
        Assert.Equal(second.Nodes[0].ClusterSecret, NodeConfig.Load(temp["node-0.json"]).ClusterSecret);
        Assert.Equal(2, NodeConfig.Load(temp["node-1.json"]).Members.Count);
    }

    [Theory]
    [InlineData(0, 7000, null, "--nodes must be between 1 and 1000, not 0.")]
    [InlineData(1001, 7000, null, "--nodes must be between 1 and 1000")]
    [InlineData(10, 55530, null, "needs ports up to 65539")]
    [InlineData(1, 55536, null, "use a base port of at most 55535")]
    [InlineData(1, 0, null, "--base-port must be 1 or more")]
    [InlineData(2, 7000, 3, "--replication must be between 1 and the number of nodes (2), not 3.")]
    [InlineData(2, 7000, 0, "--replication must be between 1")]
    public void Bad_options_are_refused_with_the_reason(int nodes, int basePort, int? replication, string expected)
    {
        var options = new ClusterConfigOptions { Nodes = nodes, OutDir = "out", BasePort = basePort, Replication = replication };

        Assert.Contains(expected, options.Check(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ClusterConfigGenerator.Build(options));
    }

    [Fact]
    public void The_highest_base_port_that_fits_is_accepted()
    {
        var cluster = ClusterConfigGenerator.Build(new ClusterConfigOptions { Nodes = 10, OutDir = "out", BasePort = 55526 });

        Assert.Equal(65535, cluster.Nodes[^1].RaftPort);
    }

    [Fact]
    public void A_port_out_of_range_names_the_file_and_the_field()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node =>
        {
            node["respPort"] = 70000;
            Member(node, 0)["respPort"] = 70000;
        });

        Assert.Equal($"{temp["node-0.json"]}: respPort 70000 is not a port (1..65535).", e.Message);
    }

    [Fact]
    public void An_unknown_property_in_a_hand_edited_file_is_rejected()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => node["replicas"] = 3);

        Assert.StartsWith(temp["node-0.json"] + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'replicas'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_property_in_a_member_is_rejected()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => Member(node, 1)["port"] = 7001);

        Assert.Contains("'port'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clusterSecret")]
    [InlineData("members")]
    [InlineData("nodeId")]
    [InlineData("host")]
    public void A_missing_required_property_is_rejected(string property)
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => node.Remove(property));

        Assert.Contains(property, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_port_on_one_host_is_rejected_naming_both_members()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => Member(node, 2)["raftPort"] = 7001);

        Assert.Contains("members[2].raftPort 7001 on 127.0.0.1 is already members[1].respPort", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Members_on_different_hosts_may_use_the_same_ports()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 2);
        var path = temp["node-0.json"];
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Member(json, 1)["host"] = "10.0.0.2";
        Member(json, 1)["respPort"] = 7000;
        Member(json, 1)["raftPort"] = 17000;
        File.WriteAllText(path, json.ToJsonString());

        var node = NodeConfig.Load(path);

        Assert.Equal("10.0.0.2:7000", node.Members[1].RespAddress);
    }

    [Fact]
    public void A_node_missing_from_members_is_rejected()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => node["members"]!.AsArray().RemoveAt(0));

        Assert.Contains("nodeId 1 is not listed in members", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_joining_node_need_not_be_listed_in_members()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 3);
        var path = temp["node-0.json"];
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["nodeId"] = 9;
        json["respPort"] = 7009;
        json["raftPort"] = 17009;
        json["join"] = "127.0.0.1:17000";
        File.WriteAllText(path, json.ToJsonString());

        var node = NodeConfig.Load(path);

        Assert.Null(node.GetSelf());
        Assert.Equal("127.0.0.1:17000", node.Join);
    }

    [Theory]
    [InlineData("nodeId", 0, "nodeId 0 is reserved")]
    [InlineData("replication", 4, "replication 4 must be between 1 and the number of kv members (3).")]
    [InlineData("replication", 0, "replication 0 must be between 1")]
    [InlineData("shardGroups", 0, "shardGroups 0 must be between 1 and 1024.")]
    [InlineData("shardGroups", 1025, "shardGroups 1025 must be between 1 and 1024.")]
    [InlineData("tickMs", 0, "tickMs 0 must be between 1 and 10000.")]
    public void Out_of_range_numbers_are_rejected_naming_the_field(string field, int value, string expected)
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => node[field] = value);

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(temp["node-0.json"], e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sync", "fast", "sync 'fast' is not always, group or periodic.")]
    [InlineData("clusterSecret", "00112233445566778899aabbccddee", "clusterSecret is 15 bytes; it must be at least 16")]
    [InlineData("clusterSecret", "not-hex-not-hex-not-hex-not-hex-", "clusterSecret is not hex")]
    [InlineData("bindAddress", "localhost", "bindAddress 'localhost' is not an IP address.")]
    [InlineData("host", "no spaces allowed", "host 'no spaces allowed' is not a host name or IP address.")]
    [InlineData("join", "nowhere", "join 'nowhere' is not a host:port address.")]
    [InlineData("clusterId", " ", "clusterId is empty.")]
    public void Bad_strings_are_rejected_naming_the_field(string field, string value, string expected)
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => node[field] = value);

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_node_ids_are_rejected()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => Member(node, 2)["nodeId"] = 2);

        Assert.Contains("members[2].nodeId 2 is listed twice.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_role_is_rejected()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => Member(node, 1)["roles"] = new JsonArray("kv", "chunky"));

        Assert.Contains("members[1].roles: 'chunky' is not a role (meta, kv).", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_members_entry_that_disagrees_with_this_node_is_rejected()
    {
        using var temp = new TempDirectory();

        var e = LoadEdited(temp, node => node["roles"] = new JsonArray("kv"));

        Assert.Contains("this node's members entry has roles [meta, kv], but roles is [kv].", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_json_property_is_rejected()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 1);
        var path = temp["node-0.json"];
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"tickMs\": 100,", "\"tickMs\": 100, \"tickMs\": 5,", StringComparison.Ordinal));

        var e = Assert.Throws<InvalidDataException>(() => NodeConfig.Load(path));

        Assert.StartsWith(path + ": not a valid config file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_over_1_MiB_is_refused_before_it_is_parsed()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Path);
        File.WriteAllText(temp["node-0.json"], "{" + new string(' ', 1024 * 1024) + "}");

        var e = Assert.Throws<InvalidDataException>(() => NodeConfig.Load(temp["node-0.json"]));

        Assert.Contains("a config file is at most 1,048,576 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_file_not_found_error_naming_it()
    {
        using var temp = new TempDirectory();

        var e = Assert.Throws<FileNotFoundException>(() => NodeConfig.Load(temp["node-0.json"]));

        Assert.Contains(temp["node-0.json"], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_fields_left_out_get_their_defaults_and_comments_are_allowed()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 5);
        var path = temp["node-0.json"];
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        foreach (var field in new[] { "roles", "bindAddress", "replication", "shardGroups", "sync", "tickMs", "join" })
        {
            json.Remove(field);
        }

        File.WriteAllText(path, "// hand-edited\n" + json.ToJsonString());

        var node = NodeConfig.Load(path);

        Assert.Equal(RoleNames.All, node.Roles);
        Assert.Equal("127.0.0.1", node.BindAddress);
        Assert.Equal(3, node.Replication);
        Assert.Equal(10, node.ShardGroups);
        Assert.Equal(SyncModes.Group, node.Sync);
        Assert.Equal(100, node.TickMs);
    }

    [Fact]
    public void A_relative_data_dir_resolves_against_the_file_and_an_absolute_one_is_kept()
    {
        using var temp = new TempDirectory();
        using var elsewhere = new TempDirectory();
        var absolute = elsewhere["store"];
        Write(temp, nodes: 2);
        var path = temp["node-1.json"];
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["dataDir"] = absolute;
        File.WriteAllText(path, json.ToJsonString());

        Assert.Equal(Path.Combine(temp.Path, "data", "node-0"), NodeConfig.Load(Path.GetRelativePath(Environment.CurrentDirectory, temp["node-0.json"])).DataDir);
        Assert.Equal(absolute, NodeConfig.Load(path).DataDir);
    }

    [Fact]
    public void A_client_file_without_seeds_is_rejected_and_a_byte_order_mark_is_allowed()
    {
        using var temp = new TempDirectory();
        Write(temp, nodes: 1);
        File.WriteAllText(temp["client.json"], "{\"clusterId\": \"c\", \"seeds\": []}", Encoding.UTF8); // with a BOM

        var e = Assert.Throws<InvalidDataException>(() => ClientConfig.Load(temp["client.json"]));

        Assert.Contains("seeds is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cairn_config_cluster_writes_the_files_and_prints_how_to_start_each_node()
    {
        using var temp = new TempDirectory();

        var result = CairnProcess.Run("config", "cluster", "--nodes", "3", "--out", temp.Path, "--base-port", "7100", "--shard-groups", "12");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(string.Empty, result.Stderr);
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains($"cairn node --config {temp[$"node-{i}.json"]}", result.Stdout, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{7100 + i}  127.0.0.1:{17100 + i}", result.Stdout, StringComparison.Ordinal);
            Assert.Equal(12, NodeConfig.Load(temp[$"node-{i}.json"]).ShardGroups);
        }

        Assert.Contains("RESP ports 7100-7102, Raft ports 17100-17102", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(temp["client.json"]));
    }

    [Fact]
    public void Cairn_config_cluster_refuses_to_overwrite_with_one_error_line_and_force_overwrites()
    {
        using var temp = new TempDirectory();
        Assert.Equal(0, CairnProcess.Run("config", "cluster", "--nodes", "2", "--out", temp.Path).ExitCode);
        var secret = NodeConfig.Load(temp["node-0.json"]).ClusterSecret;

        var refused = CairnProcess.Run("config", "cluster", "--nodes", "2", "--out", temp.Path);

        var line = CliAssert.OneLineError(refused);
        Assert.Contains("--force", line, StringComparison.Ordinal);
        Assert.Equal(secret, NodeConfig.Load(temp["node-0.json"]).ClusterSecret);

        var forced = CairnProcess.Run("config", "cluster", "--nodes", "2", "--out", temp.Path, "--force");

        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.NotEqual(secret, NodeConfig.Load(temp["node-0.json"]).ClusterSecret);
    }

    [Theory]
    [InlineData("--nodes must be between 1 and 1000, not 0.", "--nodes", "0")]
    [InlineData("needs ports up to 65539", "--nodes", "10", "--base-port", "55530")]
    [InlineData("--replication must be between 1 and the number of nodes (2), not 3.", "--nodes", "2", "--replication", "3")]
    [InlineData("--shard-groups must be between 1 and 1024, not 0.", "--nodes", "2", "--shard-groups", "0")]
    public void Cairn_config_cluster_with_bad_options_is_a_usage_error_that_writes_nothing(string expected, params string[] options)
    {
        using var temp = new TempDirectory();

        var result = CairnProcess.Run(["config", "cluster", "--out", temp.Path, .. options]);

        CliAssert.UsageError(result);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Path));
    }

    [Fact]
    public void Cairn_config_client_writes_a_client_file_that_loads_and_refuses_to_overwrite_it()
    {
        using var temp = new TempDirectory();
        var path = temp["clients/app.json"];

        var result = CairnProcess.Run("config", "client", "--out", path, "--seeds", "10.0.0.1:7000, node-2.example:7001,[::1]:7002", "--cluster-id", "prod");

        Assert.True(result.ExitCode == 0, result.ToString());
        var client = ClientConfig.Load(path);
        Assert.Equal("prod", client.ClusterId);
        Assert.Equal(["10.0.0.1:7000", "node-2.example:7001", "[::1]:7002"], client.Seeds);
        Assert.Null(client.Password);

        Assert.Contains("--force", CliAssert.OneLineError(CairnProcess.Run("config", "client", "--out", path, "--seeds", "10.0.0.9:7000")), StringComparison.Ordinal);
        Assert.Equal(0, CairnProcess.Run("config", "client", "--out", path, "--seeds", "10.0.0.9:7000", "--force").ExitCode);
        Assert.Equal(["10.0.0.9:7000"], ClientConfig.Load(path).Seeds);
    }

    [Theory]
    [InlineData("10.0.0.1", "--seeds: '10.0.0.1' is not a host:port address.")]
    [InlineData("10.0.0.1:0", "--seeds: '10.0.0.1:0' is not a host:port address.")]
    [InlineData(",", "--seeds must list one or more host:port addresses.")]
    public void Cairn_config_client_with_a_bad_seed_is_a_usage_error(string seeds, string expected)
    {
        using var temp = new TempDirectory();

        var result = CairnProcess.Run("config", "client", "--out", temp["client.json"], "--seeds", seeds);

        CliAssert.UsageError(result);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Path));
    }
}
