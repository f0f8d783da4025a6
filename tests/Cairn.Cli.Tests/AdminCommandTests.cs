using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Cli.Admin;
using Cairn.Client.Resp;

namespace Cairn.Cli.Tests;

public sealed class AdminCommandTests
{
    // Recorded from a 3-node cluster (cairn config cluster --nodes 3 --base-port 27400): the first two of its six
    // shards, with the outer array's count edited from 6 to 2.
    private const string RecordedShards =
        "*2\r\n" +
        "*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:2730\r\n$5\r\nnodes\r\n*3\r\n*14\r\n$2\r\nid\r\n$40\r\n0000000000000000000000000000000000000001\r\n$4\r\nport\r\n:27400\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n0000000000000000000000000000000000000002\r\n$4\r\nport\r\n:27401\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n0000000000000000000000000000000000000003\r\n$4\r\nport\r\n:27402\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n" +
        "*4\r\n$5\r\nslots\r\n*2\r\n:2731\r\n:5461\r\n$5\r\nnodes\r\n*3\r\n*14\r\n$2\r\nid\r\n$40\r\n0000000000000000000000000000000000000002\r\n$4\r\nport\r\n:27401\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n0000000000000000000000000000000000000001\r\n$4\r\nport\r\n:27400\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n0000000000000000000000000000000000000003\r\n$4\r\nport\r\n:27402\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

    // A shard whose group has no leader: Cairn lists only its replicas (hand-written in the recorded format), with
    // two slot ranges and an extra key the parser ignores.
    private const string LeaderlessShard =
        "*1\r\n" +
        "*6\r\n$5\r\nslots\r\n*4\r\n:5462\r\n:5470\r\n:8000\r\n:8191\r\n$5\r\nextra\r\n:7\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n0000000000000000000000000000000000000003\r\n$4\r\nport\r\n:27402\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$4\r\nfail\r\n";

    // Recorded CLUSTER NODES from node 1 of the same cluster, plus a hand-written line with a migrating slot.
    private const string RecordedNodes =
        "0000000000000000000000000000000000000001 127.0.0.1:27400@37400 myself,master - 0 0 1 connected 0-2730 8192-10922\n" +
        "0000000000000000000000000000000000000002 127.0.0.1:27401@37401 master - 0 0 1 connected 2731-5461 10923-13653\n" +
        "0000000000000000000000000000000000000003 127.0.0.1:27402@37402 master - 0 0 1 connected 5462-8191 13654-16383\n";

    private static readonly TimeSpan ClusterStartTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public void Cluster_shards_parser_reads_the_recorded_reply()
    {
        var shards = ClusterShardsReply.Parse(Resp(RecordedShards));

        Assert.Equal(2, shards.Count);
        Assert.Equal([new SlotRange(0, 2730)], shards[0].Slots);
        Assert.Equal([new SlotRange(2731, 5461)], shards[1].Slots);
        Assert.Equal("0", shards[0].Name);
        Assert.Null(shards[0].Id);
        var master = shards[0].Master!;
        Assert.Equal("0000000000000000000000000000000000000001", master.Id);
        Assert.Equal(("127.0.0.1", 27400, "online"), (master.Ip, master.Port, master.Health));
        Assert.Equal(["0000000000000000000000000000000000000002", "0000000000000000000000000000000000000003"], shards[0].Replicas.Select(r => r.Id));
        Assert.Equal("0000000000000000000000000000000000000002", shards[1].Master!.Id);
    }

    [Fact]
    public void Cluster_shards_parser_reads_a_shard_without_leader_and_its_id_when_given()
    {
        var shard = Assert.Single(ClusterShardsReply.Parse(Resp(LeaderlessShard)));
        Assert.Null(shard.Master);
        Assert.Equal([new SlotRange(5462, 5470), new SlotRange(8000, 8191)], shard.Slots);
        Assert.Equal("fail", Assert.Single(shard.Replicas).Health);

        var withId = ClusterShardsReply.Parse(Resp("*1\r\n*6\r\n$2\r\nid\r\n$3\r\ng-7\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*0\r\n"));
        Assert.Equal("g-7", Assert.Single(withId).Name);
    }

    [Theory]
    [InlineData("+OK\r\n")]
    [InlineData("*1\r\n*3\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n")]
    [InlineData("*1\r\n*2\r\n$5\r\nslots\r\n*1\r\n:0\r\n")]
    [InlineData("*1\r\n*2\r\n$5\r\nslots\r\n*2\r\n:5\r\n:16384\r\n")]
    [InlineData("*1\r\n*2\r\n$5\r\nnodes\r\n*1\r\n*2\r\n$2\r\nid\r\n$1\r\nx\r\n")]
    public void Cluster_shards_parser_rejects_malformed_replies(string text) =>
        Assert.Throws<FormatException>(() => ClusterShardsReply.Parse(Resp(text)));

    [Fact]
    public void Cluster_nodes_parser_reads_the_recorded_text()
    {
        var nodes = ClusterNodesReply.Parse(RecordedNodes + "00000000000000000000000000000000000000ff [::1]:7005@17005,host-5 master - 0 0 2 disconnected 7 [8->-0000000000000000000000000000000000000001]\n");

        Assert.Equal(4, nodes.Count);
        Assert.True(nodes[0].Myself);
        Assert.False(nodes[1].Myself);
        Assert.Equal(("127.0.0.1", 27400, 37400, "127.0.0.1:27400"), (nodes[0].Host, nodes[0].Port, nodes[0].BusPort, nodes[0].Address));
        Assert.Equal([new SlotRange(0, 2730), new SlotRange(8192, 10922)], nodes[0].Slots);
        Assert.True(nodes[2].Connected);
        Assert.Null(nodes[2].MasterId);

        var odd = nodes[3];
        Assert.Equal(("::1", 7005, 17005, "[::1]:7005"), (odd.Host, odd.Port, odd.BusPort, odd.Address));
        Assert.False(odd.Connected);
        Assert.Equal([new SlotRange(7, 7)], odd.Slots);
    }

    [Theory]
    [InlineData("abc 127.0.0.1:7000@17000 master - 0 0\n")]
    [InlineData("abc 127.0.0.1@17000 master - 0 0 1 connected\n")]
    [InlineData("abc 127.0.0.1:7000@17000 master - 0 0 1 connected 5-3\n")]
    [InlineData("abc 127.0.0.1:7000@17000 master - 0 0 1 connected 16384\n")]
    public void Cluster_nodes_parser_rejects_malformed_lines(string text) =>
        Assert.Throws<FormatException>(() => ClusterNodesReply.Parse(text));

    [Fact]
    public void Info_fields_give_cluster_info_and_db0_keys()
    {
        var info = InfoFields.Parse("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n");
        Assert.Equal("ok", info["cluster_state"]);
        Assert.Equal(7, InfoFields.Db0Keys("# Keyspace\r\ndb0:keys=7,expires=0,avg_ttl=0\r\n"));
        Assert.Equal(0, InfoFields.Db0Keys("# Keyspace\r\n"));
        Assert.Throws<FormatException>(() => InfoFields.Db0Keys("db0:expires=0\r\n"));
    }

    [Fact]
    public void Node_ids_read_back_as_numbers()
    {
        Assert.Equal(1UL, NodeIds.ToNumber("0000000000000000000000000000000000000001"));
        Assert.Equal(255UL, NodeIds.ToNumber("00000000000000000000000000000000000000ff"));
        Assert.Null(NodeIds.ToNumber("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"));
        Assert.Equal("e7d1eecc", NodeIds.Short("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"));
        Assert.Equal("3", NodeIds.Short("0000000000000000000000000000000000000003"));
    }

    [Fact]
    public void Slot_ranges_merge_format_and_find_gaps()
    {
        SlotRange[] ranges = [new(8192, 10922), new(0, 2730), new(2731, 2800), new(5, 9)];
        Assert.Equal("0-2800,8192-10922", SlotRange.Format(ranges));
        Assert.Equal(2801 + 2731, SlotRange.Total(ranges));
        Assert.Equal([new SlotRange(2801, 8191), new SlotRange(10923, 16383)], SlotRange.Gaps(ranges));
        Assert.Equal("7", SlotRange.Format([new SlotRange(7, 7)]));
        Assert.Equal([new SlotRange(0, 16383)], SlotRange.Gaps([]));
    }

    [Fact]
    public void Reports_of_a_partial_cluster_name_every_problem()
    {
        var shards = ClusterShardsReply.Parse(Resp(RecordedShards)).Concat(ClusterShardsReply.Parse(Resp(LeaderlessShard)).Select(s => s with { Index = 2 })).ToList();
        var nodes = ClusterNodesReply.Parse(RecordedNodes);
        var snapshot = new ClusterSnapshot(
            "127.0.0.1:27400",
            InfoFields.Parse("cluster_state:fail\r\n"),
            shards,
            nodes,
            new Dictionary<string, NodeProbe>
            {
                [nodes[0].Id] = new(true, 4, null),
                [nodes[1].Id] = new(true, 6, null),
                [nodes[2].Id] = new(false, null, "connection refused"),
            });

        var status = AdminReport.Status(snapshot);
        Assert.Equal(("fail", 2, 3, 3, 2, 10L), (status.State, status.NodesUp, status.NodesTotal, status.Groups, status.GroupsWithLeader, status.KeysTotal));
        Assert.Equal(5462, status.SlotsCovered);
        Assert.Equal(5462 + 9 + 192, status.SlotsAssigned);
        Assert.Contains(status.Warnings, w => w.Contains("cluster_state:fail", StringComparison.Ordinal));
        Assert.Contains(status.Warnings, w => w.StartsWith("group 2 has no leader", StringComparison.Ordinal) && w.Contains("5462-5470,8000-8191", StringComparison.Ordinal));
        Assert.Contains(status.Warnings, w => w.StartsWith("node 3 (127.0.0.1:27402) is unreachable: connection refused", StringComparison.Ordinal));
        Assert.Contains(status.Warnings, w => w.StartsWith("10922 slots are not covered: 5462-16383", StringComparison.Ordinal));

        var nodeReports = AdminReport.Nodes(snapshot);
        Assert.Equal([1UL, 2UL, 3UL], nodeReports.Select(n => n.Id!.Value));
        Assert.Equal(["0"], nodeReports[0].GroupsLed);
        Assert.Equal(["1"], nodeReports[0].ReplicaGroups);
        Assert.Equal(2731, nodeReports[0].SlotsServed);
        Assert.Equal(37400, nodeReports[0].InternalPort);
        Assert.Empty(nodeReports[2].GroupsLed);
        Assert.Equal(["0", "1", "2"], nodeReports[2].ReplicaGroups);
        Assert.Null(nodeReports[2].Keys);

        var groups = AdminReport.Groups(snapshot);
        Assert.Equal(("0", "0-2730", 2731, "1"), (groups[0].Group, groups[0].Slots, groups[0].SlotCount, groups[0].Leader));
        Assert.Equal(["2", "3"], groups[0].Replicas);
        Assert.Empty(groups[0].ReplicasDown);
        Assert.Null(groups[2].Leader);
        Assert.Equal(["3"], groups[2].ReplicasDown);

        var slots = AdminReport.Slots(snapshot);
        Assert.Equal(
            ["0-2730 0 1", "2731-5461 1 2", "5462-5470 2 -", "5471-7999 unassigned", "8000-8191 2 -", "8192-16383 unassigned"],
            slots.Ranges.Select(r => $"{new SlotRange(r.Start, r.End)} {(r.Group is null ? "unassigned" : $"{r.Group} {r.Leader ?? "-"}")}"));
        Assert.Equal(SlotRange.SlotCount, slots.Ranges.Sum(r => r.Count));

        // 16 slots a character: 0-2730 is 170 blocks of node 1 and one shared with node 2 (2720-2735).
        var cells = string.Concat(slots.Map.Select(row => row[6..]));
        Assert.Equal(1024, cells.Length);
        Assert.Equal(new string('1', 170) + "?" + new string('2', 170) + "?", cells[..342]);
        Assert.Equal('.', cells[(6000 / 16)]);
        Assert.Equal('-', cells[(8000 / 16)]);
        Assert.Equal('.', cells[^1]);
        Assert.Equal("    0 ", slots.Map[0][..6]);
        Assert.Equal("15360 ", slots.Map[15][..6]);
        Assert.Contains(slots.Legend, l => l.Symbol == "1" && l.Meaning == "node 1 (127.0.0.1:27400)");
    }

    [Fact]
    public void An_unreachable_seed_is_one_error_line()
    {
        var port = FreePort();
        var result = CairnProcess.Run("admin", "status", "--seed", $"127.0.0.1:{port}");
        var line = CliAssert.OneLineError(result);
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed_and_client_together_are_a_usage_error() =>
        CliAssert.UsageError(CairnProcess.Run("admin", "nodes", "--seed", "127.0.0.1:7000", "--client", "client.json"));

    [Fact]
    public void A_standalone_server_is_refused_with_one_error_line()
    {
        using var server = new Cairn.Testing.CairnServerProcess();
        var line = CliAssert.OneLineError(CairnProcess.Run("admin", "groups", "--seed", server.Address));
        Assert.Contains("cluster support disabled", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Writes_acknowledged_during_the_leader_hand_off_are_kept()
    {
        using var temp = new TempDirectory();
        var nodes = new List<NodeProcess>();
        try
        {
            var basePort = StartCluster(temp, nodes);
            const int keys = 200;
            var acknowledged = new List<int>();
            for (var i = 0; i < keys; i++)
            {
                // A write whose leader changed under it is not acknowledged (the connection drops): only OKs count.
                if (RunRedisCli(basePort, ["SET", $"handoff-key-{i}", $"value-{i}"]).Stdout.Trim() == "OK")
                {
                    acknowledged.Add(i);
                }
            }

            Assert.True(acknowledged.Count > keys / 2, $"only {acknowledged.Count} of {keys} writes were acknowledged");
            var lost = acknowledged.Where(i => RunRedisCli(basePort, ["GET", $"handoff-key-{i}"]).Stdout.Trim() != $"value-{i}").ToList();
            Assert.True(lost.Count == 0, $"acknowledged, then lost: {string.Join(", ", lost.Select(i => $"handoff-key-{i}"))}\n{Diagnose(basePort, "handoff-key-", keys)}");
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    [Fact]
    public void Admin_commands_show_a_real_three_node_cluster()
    {
        using var temp = new TempDirectory();
        var client = temp["client.json"];
        var nodes = new List<NodeProcess>();
        try
        {
            var basePort = StartCluster(temp, nodes);

            // Write once every node leads its two groups: a write caught by a leader hand-off is refused, not counted.
            WaitFor(() => JsonNode.Parse(Admin("nodes", "--client", client, "--json").Stdout)!.AsArray(), n => n.All(x => x!["groupsLed"]!.AsArray().Count == 2));

            const int keys = 24;
            for (var i = 0; i < keys; i++)
            {
                RedisCli(basePort, "SET", $"admin-key-{i}", $"value-{i}");
            }

            // Leaders may still be handed to their preferred nodes; a key is counted by the node leading its group.
            var status = WaitFor(() => JsonNode.Parse(Admin("status", "--client", client, "--json").Stdout)!, s => (long)s["keysTotal"]! == keys && (int)s["slotsCovered"]! == 16384);
            Assert.True((long)status["keysTotal"]! == keys, $"{status.ToJsonString()}\n{Admin("nodes", "--client", client).Stdout}\n{Diagnose(basePort, "admin-key-", keys)}");
            Assert.Equal("ok", (string?)status["state"]);
            Assert.Equal(3, (int)status["nodesUp"]!);
            Assert.Equal(3, (int)status["nodesTotal"]!);
            Assert.Empty(status["warnings"]!.AsArray());

            var text = Admin("status", "--client", client).Stdout;
            Assert.Matches(@"State\s*│ ok", text);
            Assert.Matches(@"Nodes up\s*│ 3/3", text);
            Assert.Matches(@"Slots covered\s*│ 16384/16384", text);
            Assert.Matches($@"Keys\s*│ {keys}\b", text);
            Assert.DoesNotContain("warning", text, StringComparison.Ordinal);

            var nodesText = Admin("nodes", "--seed", $"127.0.0.1:{basePort + 1}").Stdout;
            for (var i = 0; i < 3; i++)
            {
                Assert.Matches($@"│ {i + 1}\s+│ 127\.0\.0\.1:{basePort + i}\s+│\s+{basePort + 10000 + i} │ yes", nodesText);
            }

            var nodesJson = JsonNode.Parse(Admin("nodes", "--client", client, "--json").Stdout)!.AsArray();
            Assert.Equal([1UL, 2UL, 3UL], nodesJson.Select(n => (ulong)n!["id"]!));
            Assert.Equal("0000000000000000000000000000000000000002", (string?)nodesJson[1]!["fullId"]);
            Assert.Equal(16384, nodesJson.Sum(n => (int)n!["slotsServed"]!));

            var groups = JsonNode.Parse(Admin("groups", "--client", client, "--json").Stdout)!.AsArray();
            Assert.Equal(6, groups.Count);
            Assert.Equal(16384, groups.Sum(g => (int)g!["slotCount"]!));
            Assert.All(groups, g => Assert.NotNull((string?)g!["leader"]));
            var groupsText = Admin("groups", "--client", client).Stdout;
            Assert.Matches(@"│ 2\s+│ 0-\d+\s+│", groupsText); // the first shard group (group 1 is the control group)

            var slotsText = Admin("slots", "--client", client).Stdout;
            Assert.Matches(@"│ 0-\d+\s+│", slotsText);
            Assert.DoesNotContain("unassigned", slotsText, StringComparison.Ordinal);
            var mapRows = slotsText.Split('\n').Where(l => l.Length == 70 && char.IsDigit(l[4]) && l[5] == ' ').ToList();
            Assert.Equal(16, mapRows.Count);
            Assert.All(mapRows, row => Assert.Matches("^[ 0-9]{5} [123?]{64}$", row));
            Assert.Contains("  1  node 1 (127.0.0.1:", slotsText, StringComparison.Ordinal);

            // A node that stops answering is reported, by a seed that still does.
            nodes[2].Dispose();
            var degraded = JsonNode.Parse(Admin("status", "--seed", $"127.0.0.1:{basePort}", "--json").Stdout)!;
            Assert.Equal(2, (int)degraded["nodesUp"]!);
            Assert.Contains(degraded["warnings"]!.AsArray(), w => ((string)w!).StartsWith("node 3 (", StringComparison.Ordinal) && ((string)w!).Contains("unreachable", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    /// <summary>For a failure message: each written key's slot, its value read back and its slot's count on every node.</summary>
    private static string Diagnose(int basePort, string prefix, int keys)
    {
        var text = new StringBuilder();
        for (var i = 0; i < keys; i++)
        {
            var slot = RunRedisCli(basePort, ["CLUSTER", "KEYSLOT", $"{prefix}{i}"]).Stdout.Trim();
            var value = RunRedisCli(basePort, ["GET", $"{prefix}{i}"]).Stdout.Trim();
            var counts = string.Join(",", Enumerable.Range(0, 3).Select(n => RunRedisCli(basePort + n, ["CLUSTER", "COUNTKEYSINSLOT", slot]).Stdout.Trim()));
            text.Append(CultureInfo.InvariantCulture, $"{prefix}{i} slot {slot} value {value} counts {counts}\n");
        }

        return text.ToString();
    }

    /// <summary>Writes a 3-node cluster's configs into <paramref name="temp"/>, starts its nodes and waits for each to print cluster_state:ok.</summary>
    private static int StartCluster(TempDirectory temp, List<NodeProcess> nodes)
    {
        var basePort = FreeBasePort();
        var config = CairnProcess.Run("config", "cluster", "--nodes", "3", "--out", temp.Path, "--base-port", basePort.ToString(CultureInfo.InvariantCulture));
        Assert.True(config.ExitCode == 0, config.ToString());
        for (var i = 0; i < 3; i++)
        {
            nodes.Add(new NodeProcess(temp[$"node-{i}.json"]));
        }

        foreach (var node in nodes)
        {
            node.WaitForClusterOk(ClusterStartTimeout);
        }

        return basePort;
    }

    private static CliResult Admin(params string[] args)
    {
        var result = CairnProcess.Run(["admin", .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static T WaitFor<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            Thread.Sleep(500);
        }
    }

    /// <summary>
    /// Runs redis-cli -c, retrying while the cluster answers TRYAGAIN: a group leader elected but not serving yet
    /// (during the hand-off to its preferred leader) asks clients to retry, and redis-cli does not.
    /// </summary>
    private static void RedisCli(int port, params string[] args)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (exitCode, stdout, stderr) = RunRedisCli(port, args);
            if (exitCode == 0 && stdout.Trim() == "OK")
            {
                return;
            }

            Assert.True(stdout.StartsWith("TRYAGAIN", StringComparison.Ordinal) && DateTime.UtcNow < deadline, $"redis-cli {string.Join(' ', args)}: {stdout} {stderr}");
            Thread.Sleep(200);
        }
    }

    private static (int ExitCode, string Stdout, string Stderr) RunRedisCli(int port, string[] args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-c", "-p", port.ToString(CultureInfo.InvariantCulture), .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-cli (install redis-tools)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"redis-cli {string.Join(' ', args)} hung");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Parses recorded RESP text into the reply the client would have read.</summary>
    private static RespReply Resp(string text)
    {
        var position = 0;
        var reply = Read();
        Assert.Equal(text.Length, position);
        return reply;

        RespReply Read()
        {
            var end = text.IndexOf("\r\n", position, StringComparison.Ordinal);
            var type = text[position];
            var line = text[(position + 1)..end];
            position = end + 2;
            switch (type)
            {
                case '+':
                    return RespReply.SimpleString(line);
                case '-':
                    return RespReply.Error(line);
                case ':':
                    return RespReply.FromInteger(long.Parse(line, CultureInfo.InvariantCulture));
                case '$':
                    var length = int.Parse(line, CultureInfo.InvariantCulture);
                    var bulk = text.Substring(position, length);
                    position += length + 2;
                    return RespReply.FromBulk(Encoding.UTF8.GetBytes(bulk));
                case '*':
                    var count = int.Parse(line, CultureInfo.InvariantCulture);
                    var items = new List<RespReply>(count);
                    for (var i = 0; i < count; i++)
                    {
                        items.Add(Read());
                    }

                    return RespReply.FromArray(items);
                default:
                    throw new FormatException($"unknown RESP type '{type}'");
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A base port P with P..P+2 and P+10000..P+10002 free on 127.0.0.1.</summary>
    private static int FreeBasePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var basePort = Random.Shared.Next(20000, 29990);
            if (new[] { 0, 1, 2, 10000, 10001, 10002 }.All(offset => IsFree(basePort + offset)))
            {
                return basePort;
            }
        }

        throw new InvalidOperationException("no free base port");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A running <c>cairn node</c>; killed with its children on dispose.</summary>
    private sealed class NodeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource _ok = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public NodeProcess(string configPath)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in (string[])[CairnProcess.CairnDll, "node", "--config", configPath])
            {
                start.ArgumentList.Add(arg);
            }

            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) => OnLine(e.Data);
            _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public void WaitForClusterOk(TimeSpan timeout)
        {
            if (!_ok.Task.Wait(timeout))
            {
                string output;
                lock (_output)
                {
                    output = _output.ToString();
                }

                Assert.Fail($"cairn node did not print cluster_state:ok within {timeout}:\n{output}");
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // it has already exited
            }

            _process.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            if (line.Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                _ok.TrySetResult();
            }
        }
    }
}
