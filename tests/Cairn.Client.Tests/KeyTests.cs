using Cairn.Client.Datastore;

namespace Cairn.Client.Tests;

/// <summary>go-datastore's key tests (<c>key_test.go</c>) and the cleaning rules of Go's <c>path.Clean</c>.</summary>
public sealed class KeyTests
{
    [Theory]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    [InlineData(".", "/")]
    [InlineData("..", "/")]
    [InlineData("/..", "/")]
    [InlineData("/../..", "/")]
    [InlineData("//", "/")]
    [InlineData("a", "/a")]
    [InlineData("a//b/", "/a/b")]
    [InlineData("//a", "/a")]
    [InlineData("/a/./b", "/a/b")]
    [InlineData("/a/b/../c", "/a/c")]
    [InlineData("/a/../../b", "/b")]
    [InlineData("a/b/..", "/a")]
    [InlineData("a/./../b/", "/b")]
    [InlineData("/../a", "/a")]
    [InlineData("/a/...", "/a/...")]
    [InlineData("/a/.b/..c", "/a/.b/..c")]
    [InlineData("/a b/:c", "/a b/:c")]
    public void Cleaning_roots_the_path_and_resolves_dots_and_slashes(string input, string expected)
    {
        Assert.Equal(expected, new Key(input).ToString());
        Assert.Equal(expected, Key.Clean(input));
    }

    [Fact]
    public void A_null_path_is_the_root()
    {
        Assert.Equal("/", new Key(null).ToString());
        Assert.Equal(Key.Root, new Key(null));
    }

    [Theory]
    [InlineData("", "/")]
    [InlineData("abcde", "/abcde")]
    [InlineData("disahfidsalfhduisaufidsail", "/disahfidsalfhduisaufidsail")]
    [InlineData("/fdisahfodisa/fdsa/fdsafdsafdsafdsa/fdsafdsa/", "/fdisahfodisa/fdsa/fdsafdsafdsafdsa/fdsafdsa")]
    [InlineData("4215432143214321432143214321", "/4215432143214321432143214321")]
    [InlineData("/fdisaha////fdsa////fdsafdsafdsafdsa/fdsafdsa/", "/fdisaha/fdsa/fdsafdsafdsafdsa/fdsafdsa")]
    [InlineData("abcde:fdsfd", "/abcde:fdsfd")]
    [InlineData("disahfidsalfhduisaufidsail:fdsa", "/disahfidsalfhduisaufidsail:fdsa")]
    [InlineData("/fdisahfodisa/fdsa/fdsafdsafdsafdsa/fdsafdsa/:", "/fdisahfodisa/fdsa/fdsafdsafdsafdsa/fdsafdsa/:")]
    [InlineData("4215432143214321432143214321:", "/4215432143214321432143214321:")]
    [InlineData("fdisaha////fdsa////fdsafdsafdsafdsa/fdsafdsa/f:fdaf", "/fdisaha/fdsa/fdsafdsafdsafdsa/fdsafdsa/f:fdaf")]
    public void Key_parts_follow_from_the_clean_string(string input, string clean)
    {
        var namespaces = clean.Split('/')[1..];
        var last = namespaces[^1];
        var typeParts = last.Split(':');
        var type = typeParts.Length > 1 ? string.Join(':', typeParts[..^1]) : string.Empty;
        var name = typeParts[^1];
        var parent = "/" + string.Join('/', namespaces[..^1]);
        var path = Key.Clean(parent + "/" + type);
        var child = Key.Clean(clean + "/cchildd");

        var key = new Key(input);
        Assert.Equal(clean, key.ToString());
        Assert.Equal(new Key(input), key);
        Assert.Equal(new Key(input).GetHashCode(), key.GetHashCode());
        Assert.Equal(name, key.Name());
        Assert.Equal(type, key.Type());
        Assert.Equal(last, key.BaseNamespace);
        Assert.Equal(path, key.Path().ToString());
        Assert.Equal(clean + ":inst", key.Instance("inst").ToString());
        Assert.Equal(child, key.Child(new Key("cchildd")).ToString());
        Assert.Equal(clean, key.Child(new Key("cchildd")).Parent.ToString());
        Assert.Equal(child, key.ChildString("cchildd").ToString());
        Assert.Equal(clean, key.ChildString("cchildd").Parent.ToString());
        Assert.Equal(parent, key.Parent.ToString());
        Assert.Equal(namespaces, key.Namespaces());
        Assert.Equal(namespaces, key.List());
        Assert.NotEqual(new Key("/fdsafdsa/" + input), key);
        Assert.False(key.Less(key.Parent));
        Assert.True(key.Less(key.ChildString("foo")));
    }

    [Fact]
    public void Ancestry_is_by_whole_namespaces_and_strict()
    {
        var abc = new Key("/A/B/C");
        var abcd = new Key("/A/B/C/D");
        var ab = new Key("/AB");
        var a = new Key("/A");

        Assert.True(abc.IsAncestorOf(abcd));
        Assert.True(abcd.IsDescendantOf(abc));
        Assert.True(a.IsAncestorOf(abcd));
        Assert.True(a.IsAncestorOf(abc));
        Assert.False(a.IsDescendantOf(abcd));
        Assert.False(a.IsDescendantOf(abc));
        Assert.False(ab.IsDescendantOf(a));
        Assert.False(a.IsAncestorOf(ab));
        Assert.True(abcd.IsDescendantOf(a));
        Assert.True(abc.IsDescendantOf(a));
        Assert.False(abcd.IsAncestorOf(a));
        Assert.False(abc.IsAncestorOf(a));
        Assert.False(abcd.IsAncestorOf(abcd));
        Assert.False(abc.IsAncestorOf(abc));
        Assert.Equal(abcd, abc.Child(new Key("D")));
        Assert.Equal(abcd, abc.ChildString("D"));
        Assert.Equal(abc, abcd.Parent);
        Assert.Equal(abc.Path(), abcd.Parent.Path());
    }

    [Fact]
    public void The_root_is_an_ancestor_of_every_other_key_and_its_own_parent()
    {
        Assert.True(Key.Root.IsAncestorOf(new Key("/a")));
        Assert.True(new Key("/a/b").IsDescendantOf(Key.Root));
        Assert.False(Key.Root.IsAncestorOf(Key.Root));
        Assert.Equal(Key.Root, Key.Root.Parent);
        Assert.Equal(Key.Root, new Key("/a").Parent);
        Assert.Equal([string.Empty], Key.Root.Namespaces());
        Assert.True(Key.Root.IsTopLevel);
        Assert.Equal(string.Empty, Key.Root.BaseNamespace);
        Assert.Equal(new Key("/a"), Key.Root.Child(new Key("/a")));
        Assert.Equal(new Key("/a"), new Key("/a").Child(Key.Root));
    }

    [Fact]
    public void Type_and_name_split_the_last_namespace_at_its_last_colon()
    {
        var k1 = new Key("/A/B/C:c");
        var k2 = new Key("/A/B/C:c/D:d");
        Assert.True(k1.IsAncestorOf(k2));
        Assert.True(k2.IsDescendantOf(k1));
        Assert.Equal("C", k1.Type());
        Assert.Equal("D", k2.Type());
        Assert.Equal(k1.Type(), k2.Parent.Type());
        Assert.Equal("Music:Song", new Key("/Music:Song:Philosopher").Type());
        Assert.Equal("Philosopher", new Key("/Music:Song:Philosopher").Name());
        Assert.Equal(string.Empty, new Key("/plain").Type());
        Assert.Equal("plain", new Key("/plain").Name());
        Assert.Equal("Music:Song", Key.NamespaceType("Music:Song:Philosopher"));
        Assert.Equal("Philosopher", Key.NamespaceValue("Music:Song:Philosopher"));
    }

    [Fact]
    public void Documented_examples_hold()
    {
        var actor = new Key("/Comedy/MontyPython/Actor:JohnCleese");
        Assert.Equal(["Comedy", "MontyPython", "Actor:JohnCleese"], actor.Namespaces());
        Assert.Equal("Actor:JohnCleese", actor.BaseNamespace);
        Assert.Equal("Actor", actor.Type());
        Assert.Equal("JohnCleese", actor.Name());
        Assert.Equal(new Key("/Comedy/MontyPython/Actor"), actor.Path());
        Assert.Equal(new Key("/Comedy/MontyPython"), actor.Parent);
        Assert.Equal(new Key("/Actor:JohnCleese/MontyPython/Comedy"), actor.Reverse());
        Assert.Equal(actor, new Key("/Comedy/MontyPython/Actor").Instance("JohnCleese"));
        Assert.Equal(actor, new Key("/Comedy/MontyPython").Child(new Key("Actor:JohnCleese")));
        Assert.False(actor.IsTopLevel);
        Assert.True(new Key("/Comedy").IsTopLevel);
        Assert.Equal(new Key("/a/b/c"), Key.WithNamespaces(["a", "b", "c"]));
    }

    [Theory]
    [InlineData("/a/b/c", "/a/b/c/d")]
    [InlineData("/a/b", "/a/b/c/d")]
    [InlineData("/a", "/a/b/c/d")]
    [InlineData("/a/a/c", "/a/b/c")]
    [InlineData("/a/a/d", "/a/b/c")]
    [InlineData("/a/b/c/d/e/f/g/h", "/b")]
    [InlineData("/", "/a")]
    [InlineData("/a/b", "/a-b")]
    [InlineData("/a/b", "/a.b")]
    [InlineData("/\uFFFD", "/\U0001F600")]
    public void Less_compares_namespace_by_namespace(string lower, string higher)
    {
        var a = new Key(lower);
        var b = new Key(higher);
        Assert.True(a.Less(b));
        Assert.False(b.Less(a));
        Assert.True(a < b);
        Assert.True(b > a);
        Assert.True(a <= b);
        Assert.True(b >= a);
        Assert.True(a.CompareTo(b) < 0);
        Assert.True(b.CompareTo(a) > 0);
    }

    [Fact]
    public void Namespace_order_differs_from_key_string_order_for_characters_below_slash()
    {
        var keys = new[] { new Key("/a-b"), new Key("/a/b"), new Key("/a") };
        Assert.Equal(["/a", "/a/b", "/a-b"], keys.Order().Select(k => k.ToString()));
        Assert.Equal(["/a", "/a-b", "/a/b"], keys.Select(k => k.ToString()).Order(KeyStringComparer.Instance));
    }

    [Fact]
    public void Equal_keys_are_equal_and_not_less()
    {
        var a = new Key("/x/y");
        var b = new Key("x//y/");
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(0, a.CompareTo(b));
        Assert.False(a.Less(b));
        Assert.True(a.CompareTo(null) > 0);
        Assert.False(a.Equals(null));
        Assert.NotEqual(new Key("/x"), new Key("/X"));
    }

    [Fact]
    public void Raw_keys_skip_cleaning_but_must_look_like_keys()
    {
        Assert.Equal("/a/./b", Key.Raw("/a/./b").ToString());
        Assert.Equal("/", Key.Raw(string.Empty).ToString());
        Assert.Equal("/", Key.Raw("/").ToString());
        Assert.Throws<ArgumentException>(() => Key.Raw("a"));
        Assert.Throws<ArgumentException>(() => Key.Raw("/a/"));
        Assert.Throws<ArgumentNullException>(() => Key.Raw(null!));
    }

    [Fact]
    public void Reverse_reverses_the_namespaces()
    {
        Assert.Equal(new Key("/c/b/a"), new Key("/a/b/c").Reverse());
        Assert.Equal(new Key("/a"), new Key("/a").Reverse());
        Assert.Equal(Key.Root, Key.Root.Reverse());
    }

    [Fact]
    public void Keys_work_as_dictionary_keys()
    {
        var set = new HashSet<Key> { new("/a"), new("a"), new("/a/"), new("/b") };
        Assert.Equal(2, set.Count);
    }

    [Theory]
    [InlineData("/a", "/b", -1)]
    [InlineData("/a", "/a", 0)]
    [InlineData("/a", "/a/b", -1)]
    [InlineData("/a-b", "/a/b", -1)]
    [InlineData("/\u00E9", "/z", 1)]
    [InlineData("/\uFFFD", "/\U0001F600", -1)]
    [InlineData("/\uE000", "/\U0001F600", -1)]
    [InlineData("/\U0001F600", "/\U0001F601", -1)]
    public void Key_strings_compare_in_utf8_byte_order(string a, string b, int expected)
    {
        Assert.Equal(expected, Math.Sign(KeyStringComparer.Instance.Compare(a, b)));
        Assert.Equal(-expected, Math.Sign(KeyStringComparer.Instance.Compare(b, a)));
        var utf8 = System.Text.Encoding.UTF8;
        Assert.Equal(expected, Math.Sign(utf8.GetBytes(a).AsSpan().SequenceCompareTo(utf8.GetBytes(b))));
    }

    [Fact]
    public void Utf16_ordinal_order_would_disagree_with_utf8_for_supplementary_characters()
    {
        Assert.True(string.CompareOrdinal("\U0001F600", "\uFFFD") < 0);
        Assert.True(KeyStringComparer.Instance.Compare("\U0001F600", "\uFFFD") > 0);
    }
}
