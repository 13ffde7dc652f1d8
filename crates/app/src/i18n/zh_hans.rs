//! Simplified Chinese, keyed by the English text. Terms follow the usual
//! Chinese distributed-systems literature: 领导者 / 跟随者 / 候选人 (leader,
//! follower, candidate), 任期 (term), 日志 (log), 提交 (commit), 分区
//! (partition), 法定人数 (quorum), 线性一致性 (linearizability), 协调者 /
//! 参与者 (coordinator, participant), 提议者 / 接受者 (proposer, acceptor).
//! Node names (n0), protocol names (Raft, Paxos) and units stay as they are.

pub const TABLE: &[(&str, &str)] = &[
    // ---- top bar ----
    ("Run", "运行"),
    ("Play", "播放"),
    ("Pause", "暂停"),
    ("Play (Space)", "播放（空格）"),
    ("Pause (Space)", "暂停（空格）"),
    ("Step", "单步"),
    (
        "Run the next event and pause (→)",
        "执行下一个事件后暂停（→）",
    ),
    ("Speed", "速度"),
    ("Slower", "减速"),
    ("Slower (−)", "减速（−）"),
    ("Faster", "加速"),
    ("Faster (+)", "加速（+）"),
    ("Simulation speed", "模拟速度"),
    (
        "Simulated time per wall-clock time",
        "每单位真实时间对应的模拟时间",
    ),
    ("Run setup", "运行设置"),
    ("Reset", "重置"),
    (
        "Start this run again from the beginning",
        "从头重新开始本次运行",
    ),
    ("New seed", "新种子"),
    (
        "New run with another seed (N); now seed {0}",
        "换一个随机种子重新运行（N）；当前种子为 {0}",
    ),
    ("Cluster size, 1 to 51", "集群规模，1 到 51"),
    ("Nodes", "节点数"),
    ("Cluster size", "集群规模"),
    ("Cluster", "集群"),
    ("Heal", "恢复网络"),
    (
        "Remove every partition and cut link (H)",
        "移除所有分区和断开的链路（H）",
    ),
    ("Steady requests", "持续请求"),
    (
        "A client sends a request every 200 ms of simulated time (L)",
        "客户端每隔 200 毫秒模拟时间发送一次请求（L）",
    ),
    ("Requests", "请求"),
    ("Share", "分享"),
    ("Page", "页面"),
    ("Parameters", "参数"),
    (
        "Cluster size, timing, network and load",
        "集群规模、时序、网络与负载",
    ),
    ("Scenario", "场景"),
    (
        "Export this run, or load a scenario",
        "导出本次运行，或加载一个场景",
    ),
    ("Gallery", "场景库"),
    (
        "Gallery: curated scenarios, each at its moment to watch (G)",
        "场景库：精选场景，各自停在值得观察的时刻（G）",
    ),
    ("Switch to light theme", "切换到浅色主题"),
    ("Switch to dark theme", "切换到深色主题"),
    ("Light or dark", "浅色或深色"),
    ("Help and keyboard shortcuts", "帮助与键盘快捷键"),
    ("Help (?)", "帮助（?）"),
    ("Interface language", "界面语言"),
    ("Language", "语言"),
    ("Copy link", "复制链接"),
    ("Seed {0}", "种子 {0}"),
    // ---- roles, as protocols name them ----
    ("leader", "领导者"),
];
