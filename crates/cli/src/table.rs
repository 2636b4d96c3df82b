//! Plain-text tables for terminal output.

/// Left-aligned columns, as `ls -l` readers expect.
pub struct Table<const N: usize> {
    rows: Vec<[String; N]>,
}

impl<const N: usize> Table<N> {
    pub fn new(header: [&str; N]) -> Self {
        Self {
            rows: vec![header.map(str::to_owned)],
        }
    }

    /// Adds a row; control characters and bidi controls in a cell (a label, a name) are
    /// dropped, so it cannot move the cursor, clear the screen or reorder what is shown.
    pub fn row(&mut self, row: [String; N]) {
        self.rows
            .push(row.map(|cell| latchkey_vault::display_safe(&cell).into_owned()));
    }

    pub fn print(&self) {
        let widths: Vec<usize> = (0..N)
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:width$}"))
                .collect();
            println!("{}", line.join("  ").trim_end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #12, item 15: a label or name cannot drive the terminal that lists it.
    #[test]
    fn issue_12_cells_are_shown_harmlessly() {
        let mut table = Table::new(["LABEL", "NAME"]);
        table.row(["Acme\u{202E}gnp.exe".into(), "x\x1b[2Jy".into()]);
        assert_eq!(table.rows[1], ["Acmegnp.exe", "x[2Jy"]);
    }
}
